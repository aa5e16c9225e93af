using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Import;

// The search for bilinear UpSampling2D as ExportOnnx writes it, one image axis at a time (ResizeConverters):
// Add(Mul(Gather(x, lower), w0), Mul(Gather(x, upper), w1)), the indices and weights constants, each value read only
// by the next node; BilinearUpSamplingImport checks the tables and converts a match.
internal sealed partial class DecomposedPatterns
{
    private (HashSet<int>, OpConverter)? MatchBilinearUpSampling(int anchor)
    {
        NodeProto add = _nodes[anchor];
        if (add.OpType != "Add" || add.Input.Count != 2)
        {
            return null;
        }

        var nodes = new HashSet<int> { anchor };
        var terms = new (string Indices, string Weight, int Gather)[2];
        for (int k = 0; k < 2; k++)
        {
            if (Producer(add.Input[k], "Mul", nodes) is not { Input.Count: 2 } mul)
            {
                return null;
            }

            int c = _constants.Contains(mul.Input[1]) ? 1 : _constants.Contains(mul.Input[0]) ? 0 : -1;
            if (c < 0 || Producer(mul.Input[1 - c], "Gather", nodes) is not { Input.Count: 2 } gather || !_constants.Contains(gather.Input[1]) || _constants.Contains(gather.Input[0]))
            {
                return null;
            }

            terms[k] = (gather.Input[1], mul.Input[c], _producer[mul.Input[1 - c]]);
        }

        string x = _nodes[terms[0].Gather].Input[0];
        if (_nodes[terms[1].Gather].Input[0] != x)
        {
            return null;
        }

        (NodeProto, int)[] chain = [.. nodes.Order().Select(i => (_nodes[i], i))];
        OpConverter fused = (node, graph) => BilinearUpSamplingImport.Define(node, graph, x, [_nodes[terms[0].Gather], _nodes[terms[1].Gather]], [terms[0].Indices, terms[1].Indices], [terms[0].Weight, terms[1].Weight], chain);
        return (nodes, fused);
    }
}
