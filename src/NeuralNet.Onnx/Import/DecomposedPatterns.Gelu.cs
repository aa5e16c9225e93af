using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Import;

// The search for GELU written out in nodes (opsets before 20), apart from the LayerNorm and BatchNormalization searches
// so that each file holds one pattern family.
internal sealed partial class DecomposedPatterns
{
    private const double Sqrt2 = 1.4142135623730951, TanhBeta = 0.7978845608028654, TanhKappa = 0.044715;

    // y = 0.5·x·(1 + erf(x/√2)), or 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    private (HashSet<int>, OpConverter)? MatchGelu(int anchor)
    {
        if (_nodes[anchor].OpType is not ("Mul" or "Div") || _nodes[anchor].Output.Count != 1)
        {
            return null;
        }

        var nodes = new HashSet<int>();
        (double half, List<string> factors) = Product(_nodes[anchor].Output[0], true, nodes);
        if (!Close(half, 0.5) || factors.Count != 2)
        {
            return null;
        }

        foreach ((string x, string onePlus) in new[] { (factors[0], factors[1]), (factors[1], factors[0]) })
        {
            var inner = new HashSet<int>(nodes);
            if (Producer(onePlus, "Add", inner) is null || Sum(onePlus, inner) is not (double one, [string f]) || !Close(one, 1))
            {
                continue;
            }

            if (Producer(f, "Erf", inner) is NodeProto erf && Product(erf.Input[0], false, inner) is (double r, [string x1]) && Close(r, 1 / Sqrt2) && x1 == x)
            {
                return (inner, Fused(x, approximate: false));
            }

            if (Producer(f, "Tanh", inner) is NodeProto tanh && Product(tanh.Input[0], false, inner) is (double beta, [string s]) && Close(beta, TanhBeta)
                && Producer(s, "Add", inner) is not null && Sum(s, inner) is (double zero, [string p, string q]) && Close(zero, 0)
                && (p == x ? q : q == x ? p : null) is string cubeTerm
                && Product(cubeTerm, false, inner) is (double kappa, [string c1, string c2, string c3]) && Close(kappa, TanhKappa) && c1 == x && c2 == x && c3 == x)
            {
                return (inner, Fused(x, approximate: true));
            }
        }

        return null;

        static OpConverter Fused(string x, bool approximate) => (node, graph) =>
        {
            ImportedValue input = Input(node, graph, x, approximate ? "GELU (tanh approximation)" : "GELU");
            graph.Define(node, input.Dims, b => new Activation(new Gelu(approximate)).Call(b[input]), input.IsImage);
        };
    }
}
