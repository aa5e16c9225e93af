using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// The layers Keras' operations are read as: ScalarArithmetic (Add, Sub, Mul, Div, Max, Min or Pow with a scalar
/// constant, in the operand order of the layer), ElementwiseMath (Sqrt, Mul of x by itself, Exp, Log, Abs, Neg, Sin, Cos,
/// Erf, Floor, Round, Sign) and Clip (Clip with scalar bounds), element-wise so in either layout; Reduce (ReduceSum, times 1/count for a mean as Predict computes it, ReduceMax, ReduceMin) on the
/// channels-last value, reshaped when the reduced axes go; MatMul (ONNX MatMul, which broadcasts the leading axes as
/// NumPy's matmul does) on the channels-last values.
/// </summary>
internal static class OperationConverters
{
    public static OnnxValue ScalarArithmetic(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var arithmetic = (ScalarArithmetic)layer;
        OnnxValue x = inputs[0];
        string constant = graph.Scalar("constant", arithmetic.Constant);
        string op = arithmetic.Operator switch
        {
            ArithmeticOperator.Add => "Add",
            ArithmeticOperator.Subtract => "Sub",
            ArithmeticOperator.Multiply => "Mul",
            ArithmeticOperator.Maximum => "Max",
            ArithmeticOperator.Minimum => "Min",
            ArithmeticOperator.Power => "Pow",
            _ => "Div",
        };
        string[] operands = arithmetic.ConstantFirst ? [constant, x.Name] : [x.Name, constant];
        return new OnnxValue(graph.Node(op, operands), outputShape, x.Layout);
    }

    public static OnnxValue ElementwiseMath(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        OnnxValue x = inputs[0];
        string y = ((ElementwiseMath)layer).Function switch
        {
            ElementwiseFunction.Sqrt => graph.Node("Sqrt", [x.Name]),
            ElementwiseFunction.Square => graph.Node("Mul", [x.Name, x.Name]),
            ElementwiseFunction.Exp => graph.Node("Exp", [x.Name]),
            ElementwiseFunction.Log => graph.Node("Log", [x.Name]),
            ElementwiseFunction.Abs => graph.Node("Abs", [x.Name]),
            ElementwiseFunction.Sin => graph.Node("Sin", [x.Name]),
            ElementwiseFunction.Cos => graph.Node("Cos", [x.Name]),
            ElementwiseFunction.Erf => graph.Node("Erf", [x.Name]),
            ElementwiseFunction.Floor => graph.Node("Floor", [x.Name]),
            ElementwiseFunction.Round => graph.Node("Round", [x.Name]),
            ElementwiseFunction.Sign => graph.Node("Sign", [x.Name]),
            _ => graph.Node("Neg", [x.Name]),
        };
        return new OnnxValue(y, outputShape, x.Layout);
    }

    public static OnnxValue Clip(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var clip = (Clip)layer;
        OnnxValue x = inputs[0];
        string y = graph.Node("Clip", [x.Name, graph.Scalar("min", clip.Min), graph.Scalar("max", clip.Max)]);
        return new OnnxValue(y, outputShape, x.Layout);
    }

    public static OnnxValue Reduce(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var reduce = (Reduce)layer;
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        int[] sampleAxes = SampleAxes.Resolve(reduce.Axes, x.Shape.Rank);
        long[] axes = [.. sampleAxes.Select(a => (long)a + 1)];
        string y = reduce.Reduction switch
        {
            Reduction.Max => SampleAxes.Reduce(graph, "ReduceMax", x.Name, axes),
            Reduction.Min => SampleAxes.Reduce(graph, "ReduceMin", x.Name, axes),
            _ => SampleAxes.Reduce(graph, "ReduceSum", x.Name, axes),
        };
        if (reduce.Reduction == Reduction.Mean)
        {
            int count = sampleAxes.Aggregate(1, (product, a) => product * x.Shape[a]);
            y = graph.Node("Mul", [y, graph.Scalar("inverse_count", 1f / count)]);
        }

        return reduce.KeepDims
            ? new OnnxValue(y, outputShape, Layout.ChannelsLast)
            : graph.Node("Reshape", [y, ShapeConverters.BatchShape(graph, outputShape)], outputShape, Layout.ChannelsLast);
    }

    public static OnnxValue MatMul(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        OnnxValue a = graph.ChannelsLast(inputs[0]), b = graph.ChannelsLast(inputs[1]);
        return graph.Node("MatMul", [a.Name, b.Name], outputShape, Layout.ChannelsLast);
    }
}
