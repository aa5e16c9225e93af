using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Converters;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx;

/// <summary>
/// Keras' masks in the exported graph. Predict carries a mask beside a layer's output (made by Embedding with maskZero
/// or Masking, passed on by the layers that support masking, ended by those that do not); the exporter follows the same
/// rules over the model's graph (<see cref="Follow"/>), before anything is written, and refuses a model where a layer
/// reads a mask it could not follow. The mask itself becomes a bool value (batch, ...), computed from the model input
/// the way the layer that made it computes it, when the first layer that reads it is written (<see cref="Value"/>).
/// </summary>
internal sealed class MaskFlow
{
    private readonly Dictionary<SymbolicTensor, MaskPlan> _plans = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<SymbolicTensor, MaskPlan?[]> _read = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<MaskPlan, string> _values = new(ReferenceEqualityComparer.Instance);

    private MaskFlow()
    {
    }

    /// <summary>
    /// The masks of <paramref name="order"/>'s tensors (each after those it reads), following Predict's rules layer by layer.
    /// </summary>
    /// <exception cref="NotSupportedException">A layer reads a mask the exporter did not follow to it (the reader, the mask's source and the layer where it was lost are named).</exception>
    public static MaskFlow Follow(Model model, IEnumerable<SymbolicTensor> order)
    {
        var flow = new MaskFlow();
        foreach (SymbolicTensor tensor in order.Where(t => t.InboundTensors.Count > 0))
        {
            MaskPlan?[] arriving = [.. tensor.InboundTensors.Select(t => flow._plans.GetValueOrDefault(t))];
            if (arriving.FirstOrDefault(p => p is not null) is MaskPlan mask && ReadsMask(tensor.Layer))
            {
                CheckFollowed(model, tensor.Layer, arriving.FirstOrDefault(p => p?.Rule == MaskRule.Lost) ?? mask);
                flow._read[tensor] = arriving;
            }

            if (OutputMask(tensor, arriving) is MaskPlan output)
            {
                flow._plans[tensor] = output;
            }
        }

        return flow;
    }

    /// <summary>The masks arriving with <paramref name="tensor"/>'s inputs (null for an input without one) when its layer reads one; else null.</summary>
    public IReadOnlyList<MaskPlan?>? ReadBy(SymbolicTensor tensor) => _read.GetValueOrDefault(tensor);

    /// <summary>
    /// The bool value (batch, ...<see cref="MaskPlan.Shape"/>) of <paramref name="plan"/>, true where a position is real:
    /// written on first use, under the name of the layer that made the mask, from the model values <paramref name="valueOf"/> gives.
    /// </summary>
    public string Value(OnnxGraphBuilder graph, MaskPlan plan, Func<SymbolicTensor, OnnxValue> valueOf)
    {
        if (_values.TryGetValue(plan, out string? known))
        {
            return known;
        }

        string scope = graph.Scope;
        graph.Scope = plan.Source.Name;
        string value = plan.Rule switch
        {
            MaskRule.NonZero => graph.Node("Not", [graph.Node("Equal", [graph.ChannelsLast(valueOf(plan.From!)).Name, graph.Scalar("zero", 0f)])]),
            MaskRule.Masking => Squeezed(graph, valueOf(plan.From!), plan.MaskValue),
            MaskRule.Or => plan.Parts.Skip(1).Aggregate(Value(graph, plan.Parts[0], valueOf), (all, part) => graph.Node("Or", [all, Value(graph, part, valueOf)])),
            MaskRule.AnyPerStep => AnyPerStep(graph, Value(graph, plan.Parts[0], valueOf), plan.Parts[0].Shape.Rank),
            _ => throw new InvalidOperationException($"The mask of layer '{plan.Source.Name}' is not followed, so it has no value; Follow refuses a model that reads it."),
        };
        graph.Scope = scope;
        _values[plan] = value;
        return value;
    }

    // Masking's real positions (batch, ..., 1), shared with its converter's output, without the last axis.
    private static string Squeezed(OnnxGraphBuilder graph, OnnxValue input, float maskValue)
    {
        OnnxValue x = graph.ChannelsLast(input);
        return graph.Node("Squeeze", [MaskingConverter.RealPositions(graph, x, maskValue), graph.Int64s("axes", x.Rank - 1)]);
    }

    // (batch, steps, ...) -> (batch, steps): a step is real when any position in it is.
    private static string AnyPerStep(OnnxGraphBuilder graph, string mask, int sampleRank)
    {
        long[] inner = [.. Enumerable.Range(2, sampleRank - 1).Select(a => (long)a)];
        string asFloat = graph.Node("Cast", [mask], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Float));
        string any = graph.Node("Squeeze", [SampleAxes.Reduce(graph, "ReduceMax", asFloat, inner), graph.Int64s("axes", inner)]);
        return graph.Node("Cast", [any], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Bool));
    }

    // Whether a layer's values depend on the masks of its inputs at inference: the recurrent layers and Bidirectional
    // (masked steps), GlobalAveragePooling1D (masked mean), the attention layers (masked queries and keys), Multiply,
    // Maximum and Minimum (masked positions left out, Keras 3's merges), and TimeDistributed of one of them (each step's
    // mask handed to the wrapped layer). Each has a masked form in MaskedLayerConverters. Attention layers with mask
    // inputs read those instead (Keras fills the masks from the inputs' only when the call passes none).
    private static bool ReadsMask(Layer layer) =>
        layer is not (Attention { UseMasks: true } or AdditiveAttention { UseMasks: true }) && MaskedLayerConverters.Find(layer) is not null;

    // A mask lost on its way (a join the exporter does not follow) cannot be given to the layer that reads it.
    private static void CheckFollowed(Model model, Layer layer, MaskPlan mask)
    {
        if (mask.LostAt is (Layer lostAt, string reason))
        {
            string advice = mask.Source is Embedding or TimeDistributed { InnerLayer: Embedding }
                ? " Export a model built with maskZero: false (the same weights load into it) if its inputs are never padded."
                : "";
            throw new NotSupportedException(
                $"Layer '{layer.Name}' ({layer.GetType().Name}) of model '{model.Name}' reads the mask that layer '{mask.Source.Name}' ({mask.Made}, which NeuralNet.Onnx cannot follow through layer '{lostAt.Name}' ({lostAt.GetType().Name}: {reason}), so the exported graph would compute without it and padded inputs would give other results.{advice}");
        }
    }

    // The mask of the layer call's output, by the rules of the layer's ComputeMask (null: none).
    private static MaskPlan? OutputMask(SymbolicTensor tensor, MaskPlan?[] arriving)
    {
        Layer layer = tensor.Layer;
        MaskPlan? first = arriving.Length > 0 ? arriving[0] : null;
        if (tensor.OutputIndex > 0)
        {
            // Predict gives a layer's further outputs (Bidirectional's backward sequence without a merge) no mask.
            return null;
        }

        return layer switch
        {
            Embedding embedding => embedding.MaskZero
                ? new MaskPlan(layer, "Embedding with maskZero) makes", embedding.InputShape, MaskRule.NonZero) { From = tensor.InboundTensors[0] }
                : null,
            Masking masking => new MaskPlan(layer, "Masking) makes", DropLast(masking.InputShape), MaskRule.Masking) { From = tensor.InboundTensors[0], MaskValue = masking.MaskValue },
            TimeDistributed timeDistributed => TimeDistributedMask(timeDistributed, tensor, first),
            Recurrent recurrent => recurrent.ReturnSequences ? first : null,
            Bidirectional bidirectional => bidirectional.ReturnSequences ? first : null,
            GlobalAveragePooling1D => null,
            Attention { UseMasks: true } or AdditiveAttention { UseMasks: true } => QueryMaskInput(tensor),
            Merge => MergeMask(layer, tensor, arriving),
            Concatenate concatenate => ConcatenateMask(concatenate, tensor, arriving),
            _ => layer.SupportsMasking ? first : null,
        };
    }

    // Attention's inputs with masks: query, value, [key,] query mask, value mask; the output carries the query mask.
    private static MaskPlan QueryMaskInput(SymbolicTensor tensor)
    {
        SymbolicTensor queryMask = tensor.InboundTensors[^2];
        return new MaskPlan(tensor.Layer, $"{tensor.Layer.GetType().Name} with mask inputs) passes on from its query mask", queryMask.Shape, MaskRule.NonZero) { From = queryMask };
    }

    // Keras 3's merge: no mask unless every input has one, then the masks ORed.
    private static MaskPlan? MergeMask(Layer layer, SymbolicTensor tensor, MaskPlan?[] arriving)
    {
        if (arriving.Any(p => p is null))
        {
            return null;
        }

        if (tensor.InboundTensors.Any(t => t.Shape.Rank != tensor.Shape.Rank))
        {
            // Predict refuses a mask on an input of lower rank.
            return arriving[0]!.LostThrough(layer, "an input has fewer axes than the output");
        }

        return Or(arriving!, DropLast(tensor.Shape));
    }

    // On the last axis: the masks ORed, an input without one making every position real (which is no mask, to the
    // layers that read masks). Along another axis the masks are joined like the values, which is not followed.
    private static MaskPlan? ConcatenateMask(Concatenate concatenate, SymbolicTensor tensor, MaskPlan?[] arriving)
    {
        if (arriving.All(p => p is null))
        {
            return null;
        }

        if (concatenate.Axis != -1 && concatenate.Axis != tensor.Shape.Rank)
        {
            return arriving.First(p => p is not null)!.LostThrough(concatenate, "joined along an axis the masks have");
        }

        return arriving.Any(p => p is null) ? null : Or(arriving!, DropLast(tensor.Shape));
    }

    // Same-rank masks broadcast in ONNX's Or as Predict expands them (size-1 axes), to the output's mask shape.
    private static MaskPlan Or(MaskPlan[] parts, TensorShape shape) =>
        parts.Distinct(ReferenceEqualityComparer.Instance).Count() == 1 && parts[0].Shape == shape ? parts[0]
        : parts.FirstOrDefault(p => p.Rule == MaskRule.Lost) ?? parts[0] with { Rule = MaskRule.Or, Parts = [.. parts.Distinct(ReferenceEqualityComparer.Instance).Cast<MaskPlan>()], From = null, Shape = shape };

    // TimeDistributed (see its remarks): the wrapped layer's mask stacked back over the steps when it makes or passes one
    // that fits its output; otherwise the input mask's time part (a step is real where any of its positions is).
    private static MaskPlan? TimeDistributedMask(TimeDistributed layer, SymbolicTensor tensor, MaskPlan? arriving)
    {
        Layer inner = layer.InnerLayer;
        SymbolicTensor input = tensor.InboundTensors[0];
        switch (inner)
        {
            case Embedding { MaskZero: true }:
                return new MaskPlan(layer, "TimeDistributed of an Embedding with maskZero) makes", layer.InputShape, MaskRule.NonZero) { From = input };
            case Masking masking:
                return new MaskPlan(layer, "TimeDistributed of Masking) makes", DropLast(layer.InputShape), MaskRule.Masking) { From = input, MaskValue = masking.MaskValue };
        }

        if (arriving is null || arriving.Rule == MaskRule.Lost)
        {
            return arriving;
        }

        if (inner is TimeDistributed && arriving.Shape.Rank > 1)
        {
            return arriving.LostThrough(layer, "a TimeDistributed inside it");
        }

        bool passes = inner switch
        {
            Recurrent recurrent => recurrent.ReturnSequences,
            Bidirectional bidirectional => bidirectional.ReturnSequences,
            GlobalAveragePooling1D or Embedding or TimeDistributed => false,
            _ => inner.SupportsMasking,
        };
        if ((passes && DropLast(inner.OutputShape) == DropLast(inner.InputShape)) || arriving.Shape.Rank == 1)
        {
            return arriving;
        }

        return arriving with { Rule = MaskRule.AnyPerStep, Parts = [arriving], Shape = new TensorShape(arriving.Shape[0]), From = null };
    }

    private static TensorShape DropLast(TensorShape shape) => new(shape.Dimensions[..^1].ToArray());
}
