using System.Globalization;
using NeuralNet.Layers;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// Add, Sub, Mul and Div of two computed tensors (NeuralNet's merge layers, which broadcast axes of length 1 as Keras' do); Add,
/// Sub, Mul, Div and Pow of a tensor and a scalar constant (ScalarArithmetic); Add, Sub, Mul and Div of a tensor and a
/// per-channel or per-feature constant (<see cref="ChannelConstants"/>); an Add of a bias after a MatMul (the Dense's
/// bias); and Concat.
/// </summary>
internal static class MergeImports
{
    public static void Register(Dictionary<string, OpConverter> all)
    {
        all["Add"] = (node, graph) => Arithmetic(node, graph, ArithmeticOperator.Add);
        all["Sub"] = (node, graph) => Arithmetic(node, graph, ArithmeticOperator.Subtract);
        all["Mul"] = (node, graph) => Arithmetic(node, graph, ArithmeticOperator.Multiply);
        all["Div"] = (node, graph) => Arithmetic(node, graph, ArithmeticOperator.Divide);
        all["Pow"] = (node, graph) => Arithmetic(node, graph, ArithmeticOperator.Power);
        all["Concat"] = Concat;
    }

    private static void Arithmetic(ImportedNode node, ImportGraph graph, ArithmeticOperator op)
    {
        _ = new NodeAttributes(node);
        ImportedValue a = graph.Optional(node, 0) ?? throw node.Invalid("input A is missing");
        ImportedValue b = graph.Optional(node, 1) ?? throw node.Invalid("input B is missing");
        // Add, Sub, Mul and Div of two constants were folded before this converter (ShapeFolding).
        if (a.Constant is not null && b.Constant is not null)
        {
            throw node.Refuse($"both inputs are constants; NeuralNet.Onnx evaluates Add, Sub, Mul and Div of constants at import, not {node.OpType}");
        }

        if (a.Constant is not null || b.Constant is not null)
        {
            bool constantFirst = a.Constant is not null;
            ImportedValue x = constantFirst ? b : a;
            OnnxConstant c = (constantFirst ? a : b).Constant!;
            if (op == ArithmeticOperator.Add && x.Dense is DensePlan { Bias: null } plan && graph.Consumers(x) == 1 && c.Dims.Length <= x.Rank)
            {
                plan.Bias = c.Vector(node, plan.Units, "the bias");
                x.Dense = null;
                graph.Alias(node, x);
                return;
            }

            if (ChannelConstants.TryDefine(node, graph, x, c, op, constantFirst))
            {
                return;
            }

            if (c.Values.Length != 1 || c.Dims.Length > x.Rank)
            {
                throw node.Refuse($"input '{(constantFirst ? a : b).Name}' is a constant of dimensions {c.Shape}; NeuralNet.Onnx imports {node.OpType} of a tensor and a scalar constant, an image and a per-channel constant (C, 1, 1), a tensor and a per-feature constant of its last axis, a MatMul's bias, or two computed tensors");
            }

            float value = (float)c.Values[0];
            if (!float.IsFinite(value))
            {
                throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"input '{(constantFirst ? a : b).Name}' is {value} as a float; NeuralNet's ScalarArithmetic takes a finite number"));
            }

            graph.Define(node, x.Dims, build => new ScalarArithmetic(op, value, constantFirst).Call(build[x]), x.IsImage);
            return;
        }

        if (op is ArithmeticOperator.Power)
        {
            throw node.Refuse($"both inputs are computed by the graph; NeuralNet.Onnx imports {node.OpType} with a scalar constant operand only");
        }

        if (a.Rank != b.Rank || a.IsImage != b.IsImage)
        {
            throw node.Refuse($"inputs of dimensions {ImportText.Dims(a.Dims)} and {ImportText.Dims(b.Dims)}; NeuralNet.Onnx imports {node.OpType} of tensors of equal rank and layout (axes of length 1 broadcast)");
        }

        long[] dims = new long[a.Rank];
        for (int i = 0; i < a.Rank; i++)
        {
            dims[i] = a.Dims[i] == b.Dims[i] || b.Dims[i] == 1 ? a.Dims[i]
                : a.Dims[i] == 1 ? b.Dims[i]
                : throw node.Invalid($"inputs of dimensions {ImportText.Dims(a.Dims)} and {ImportText.Dims(b.Dims)} do not broadcast");
        }

        graph.Define(node, dims, build =>
        {
            Layer merge = op switch
            {
                ArithmeticOperator.Add => new Add(),
                ArithmeticOperator.Subtract => new Subtract(),
                ArithmeticOperator.Divide => new Divide(),
                _ => new Multiply(),
            };
            return merge.Call(build[a], build[b]);
        }, a.IsImage);
    }

    private static void Concat(ImportedNode node, ImportGraph graph)
    {
        var attributes = new NodeAttributes(node, "axis");
        if (!attributes.Has("axis"))
        {
            throw node.Invalid("attribute axis is missing");
        }

        ImportedValue[] inputs = [.. Enumerable.Range(0, node.Proto.Input.Count).Select(i => graph.Computed(node, i, "a tensor to join"))];
        if (inputs.Length == 0)
        {
            throw node.Invalid("it has no inputs");
        }

        int rank = inputs[0].Rank;
        long axis = attributes.Int("axis", 0);
        int resolved = ImportLayout.SampleAxis(axis, rank) ?? throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
            $"attribute axis={axis} on inputs of rank {rank}; NeuralNet.Onnx joins tensors along an axis other than the batch axis"));

        foreach (ImportedValue input in inputs)
        {
            if (input.Rank != rank || Enumerable.Range(1, rank - 1).Any(i => i != resolved && input.Dims[i] != inputs[0].Dims[i]))
            {
                throw node.Invalid($"inputs of dimensions {string.Join(", ", inputs.Select(v => ImportText.Dims(v.Dims)))} differ on an axis other than {axis}");
            }

            if (input.IsImage != inputs[0].IsImage)
            {
                throw node.Refuse($"inputs '{inputs[0].Name}' and '{input.Name}' are held in different layouts (one as a channels-first image, one in ONNX's order, as after a Transpose or when made from a value of another rank); NeuralNet.Onnx imports {node.OpType} of tensors of one layout");
            }
        }

        if (inputs.Length == 1)
        {
            graph.Alias(node, inputs[0]);
            return;
        }

        long[] dims = [.. inputs[0].Dims];
        dims[resolved] = inputs.Sum(v => v.Dims[resolved]);
        int keras = ImportLayout.KerasAxis(resolved, rank, inputs[0].IsImage);
        graph.Define(node, dims, build => new Concatenate(keras).Call([.. inputs.Select(v => build[v])]), inputs[0].IsImage);
    }
}
