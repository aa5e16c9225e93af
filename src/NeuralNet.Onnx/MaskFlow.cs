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
    /// <exception cref="NotSupportedException">A layer reads a mask the exporter did not follow to it (the reader, the mask's
    /// source and the layer where it was lost are named), a mask reaches a ConvLSTM layer, or a merge gets a mask on an input of fewer axes than its output,
    /// which Predict refuses too.</exception>
    public static MaskFlow Follow(Model model, IEnumerable<SymbolicTensor> order)
    {
        var flow = new MaskFlow();
        foreach (SymbolicTensor tensor in order.Where(t => t.InboundTensors.Count > 0))
        {
            MaskPlan?[] arriving = [.. tensor.InboundTensors.Select(t => flow._plans.GetValueOrDefault(t))];
            CheckMergeRanks(model, tensor, arriving);
            if (tensor.Layer is ConvLstm && arriving.Length > 0 && arriving[0] is not null)
            {
                // Predict refuses it too (ConvLstm.OnForward): the file would describe a model that cannot run.
                throw new NotSupportedException(
                    $"Layer '{tensor.Layer.Name}' ({tensor.Layer.GetType().FullName}) of model '{model.Name}' gets a mask with its input, but ConvLSTM layers do not support masking (nor do Keras', and Predict refuses it too); remove the Masking layer (or the Embedding's maskZero) before it.");
            }

            if (ReadsMask(tensor.Layer))
            {
                MaskPlan?[] read = [.. arriving.Select((plan, input) => ReadsMaskOf(tensor, input) ? plan : null)];
                if (read.FirstOrDefault(p => p is not null) is MaskPlan mask)
                {
                    CheckFollowed(model, tensor.Layer, read.FirstOrDefault(p => p?.Rule == MaskRule.Lost) ?? mask);
                    flow._read[tensor] = read;
                }
            }

            if (OutputMask(tensor, arriving) is MaskPlan output)
            {
                flow._plans[tensor] = output;
            }
        }

        return flow;
    }

    /// <summary>
    /// The masks arriving with <paramref name="tensor"/>'s inputs that its layer reads (null for an input without one or
    /// whose mask the layer ignores) when it reads one; else null.
    /// </summary>
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
            MaskRule.AnyPerStep => TimePart(graph, Value(graph, plan.Parts[0], valueOf), plan.Parts[0].Shape, plan),
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

    // (batch, steps..., positions in a step...) -> (batch, ...plan's shape): a step is real where any of its positions is
    // (ReduceMax, keeping the reduced axes as 1s), repeated over the positions the output has in the step (Expand).
    private static string TimePart(OnnxGraphBuilder graph, string mask, TensorShape partShape, MaskPlan plan)
    {
        int steps = plan.StepAxes;
        string any = mask;
        if (partShape.Rank > steps)
        {
            long[] inner = [.. Enumerable.Range(steps + 1, partShape.Rank - steps).Select(a => (long)a)];
            string asFloat = graph.Node("Cast", [mask], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Float));
            any = graph.Node("Cast", [SampleAxes.Reduce(graph, "ReduceMax", asFloat, inner)], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Bool));
        }

        long[] stepDims = [.. plan.Shape.Dimensions[..steps].ToArray().Select(d => (long)d)];
        if (partShape.Rank != plan.Shape.Rank)
        {
            // 0: the batch, copied by Reshape.
            any = graph.Node("Reshape", [any, graph.Int64s("time_part_shape", [0, .. stepDims, .. Enumerable.Repeat(1L, plan.Shape.Rank - steps)])]);
        }

        return plan.Shape.Rank == steps
            ? any
            : graph.Node("Expand", [any, graph.Int64s("time_part_repeated", [1, .. plan.Shape.Dimensions.ToArray().Select(d => (long)d)])]);
    }

    // Whether a layer's values depend on the masks of its inputs at inference: the recurrent layers and Bidirectional
    // (masked steps), GlobalAveragePooling1D (masked mean), the attention layers (masked queries and keys), Multiply,
    // Maximum and Minimum (masked positions left out, Keras 3's merges), and TimeDistributed of one of them (each step's
    // mask handed to the wrapped layer). Each has a masked form in MaskedLayerConverters. Attention layers with mask
    // inputs read those instead (Keras fills the masks from the inputs' only when the call passes none).
    private static bool ReadsMask(Layer layer) =>
        layer is not (Attention { UseMasks: true } or AdditiveAttention { UseMasks: true }) && MaskedLayerConverters.Find(layer) is not null;

    // The inputs whose masks a layer that reads masks reads: every input, but the key of Attention and AdditiveAttention
    // (ignored, as in Keras), the attention-mask input of MultiHeadAttention (its values are the mask) and the initial
    // states of a recurrent layer (Predict's steps read the sequence's mask only).
    private static bool ReadsMaskOf(SymbolicTensor tensor, int input) => tensor.Layer switch
    {
        Attention or AdditiveAttention => input < 2,
        Recurrent or Bidirectional => input == 0,
        MultiHeadAttention { UseAttentionMask: true } => input < tensor.InboundTensors.Count - 1,
        _ => true,
    };

    // A mask lost on its way (a join the exporter does not follow) cannot be given to the layer that reads it.
    private static void CheckFollowed(Model model, Layer layer, MaskPlan mask)
    {
        if (mask.LostAt is (Layer lostAt, string reason))
        {
            string advice = Innermost(mask.Source) is Embedding or ReversibleEmbedding
                ? " Export a model built with maskZero: false (the same weights load into it) if its inputs are never padded."
                : "";
            throw new NotSupportedException(
                $"Layer '{layer.Name}' ({layer.GetType().Name}) of model '{model.Name}' reads the mask that {Origin(mask)}, which NeuralNet.Onnx cannot follow through layer '{lostAt.Name}' ({lostAt.GetType().Name}: {reason}), so the exported graph would compute without it and padded inputs would give other results.{advice}");
        }
    }

    // Predict's merges broadcast masks only between inputs of the output's rank: a mask on an input with fewer axes makes
    // Predict throw at the merge, whether the other inputs have masks or not, so the model has nothing to export.
    private static void CheckMergeRanks(Model model, SymbolicTensor tensor, MaskPlan?[] arriving)
    {
        if (tensor.Layer is not Merge)
        {
            return;
        }

        for (int i = 0; i < arriving.Length; i++)
        {
            SymbolicTensor input = tensor.InboundTensors[i];
            if (arriving[i] is MaskPlan mask && input.Shape.Rank < tensor.Shape.Rank)
            {
                throw new NotSupportedException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"Layer '{tensor.Layer.Name}' ({tensor.Layer.GetType().Name}) of model '{model.Name}' gets the mask that {Origin(mask)} on input {i}, {input.Shape.ToBatchString()}, which has fewer axes than the output {tensor.Shape.ToBatchString()}; Predict refuses it too (masks are broadcast only from inputs of the output's rank): give the input the missing axes of size 1 with a Reshape."));
            }
        }
    }

    // The layer that made a mask and what it did, as messages name them: "layer 'words' (Embedding with maskZero) makes".
    private static string Origin(MaskPlan mask) => mask.Source switch
    {
        Attention or AdditiveAttention => $"layer '{mask.Source.Name}' ({mask.Source.GetType().Name} with mask inputs) passes on from its query mask",
        Layer source => $"layer '{source.Name}' ({What(source)}) makes",
    };

    // "Embedding with maskZero", "Masking", "TimeDistributed of an Embedding with maskZero", ...
    private static string What(Layer maker) => maker switch
    {
        Embedding => "Embedding with maskZero",
        ReversibleEmbedding => "ReversibleEmbedding with maskZero",
        TimeDistributed { InnerLayer: Embedding } wrapper => $"{wrapper.GetType().Name} of an {What(wrapper.InnerLayer)}",
        TimeDistributed { InnerLayer: TimeDistributed } wrapper => $"{wrapper.GetType().Name} of a {What(wrapper.InnerLayer)}",
        TimeDistributed wrapper => $"{wrapper.GetType().Name} of {What(wrapper.InnerLayer)}",
        _ => maker.GetType().Name,
    };

    // The layer inside nested TimeDistributed wrappers.
    private static Layer Innermost(Layer layer) => layer is TimeDistributed wrapper ? Innermost(wrapper.InnerLayer) : layer;

    // The mask of the layer call's output, by the rules of the layer's ComputeMask (null: none).
    private static MaskPlan? OutputMask(SymbolicTensor tensor, MaskPlan?[] arriving)
    {
        Layer layer = tensor.Layer;
        MaskPlan? first = arriving.Length > 0 ? arriving[0] : null;
        if (tensor.OutputIndex > 0)
        {
            // Further outputs carry no mask, except Bidirectional's backward sequence without a merge, which carries the
            // forward one's (Keras' compute_mask returns (mask, mask)).
            return tensor.OutputIndex == 1 && layer is Bidirectional { MergeMode: BidirectionalMergeMode.None }
                ? FirstInputMask(layer, layer, tensor.InboundTensors[0], new TensorShape(), first)
                : null;
        }

        return layer switch
        {
            Attention { UseMasks: true } or AdditiveAttention { UseMasks: true } => QueryMaskInput(tensor),
            Merge => MergeMask(tensor, arriving),
            Concatenate concatenate => ConcatenateMask(concatenate, tensor, arriving),

            // A ReversibleEmbedding's reverse call (its output keeps the input's rank) gives no mask, as in Keras.
            ReversibleEmbedding when tensor.Shape.Rank == tensor.InboundTensors[0].Shape.Rank => null,
            _ => FirstInputMask(layer, layer, tensor.InboundTensors[0], new TensorShape(), first),
        };
    }

    // Attention's inputs with masks: query, value, [key,] query mask, value mask; the output carries the query mask.
    private static MaskPlan QueryMaskInput(SymbolicTensor tensor)
    {
        SymbolicTensor queryMask = tensor.InboundTensors[^2];
        return new MaskPlan(tensor.Layer, queryMask.Shape, MaskRule.NonZero) { From = queryMask };
    }

    // Keras 3's merge: no mask unless every input has one, then the masks ORed (inputs of fewer axes with a mask were
    // refused, as Predict refuses them).
    private static MaskPlan? MergeMask(SymbolicTensor tensor, MaskPlan?[] arriving) =>
        arriving.Any(p => p is null) ? null : Or(arriving!, DropLast(tensor.Shape));

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

    // TimeDistributed (see its remarks), inside the time axes of the wrappers around it (steps; none at the model's level),
    // whose masks are shaped (...steps, ...mask of the output): the wrapped layer's mask stacked back over the steps when
    // it makes or passes on one that fits its output; otherwise the arriving mask's time part (a step is real where any
    // of its positions is) repeated over the positions the output has in the step; otherwise none. source: the model's
    // layer, named in errors; input: the model value the wrappers fold, from which masks made inside are computed.
    private static MaskPlan? TimeDistributedMask(TimeDistributed layer, Layer source, SymbolicTensor input, TensorShape steps, MaskPlan? arriving)
    {
        TensorShape innerSteps = Join(steps, new TensorShape(layer.InputShape[0]));
        TensorShape shape = Join(steps, DropLast(layer.OutputShape));
        MaskPlan? inner = FirstInputMask(layer.InnerLayer, source, input, innerSteps, arriving);
        if (inner is not null && (inner.Rule == MaskRule.Lost || inner.Shape == shape))
        {
            return inner;
        }

        if (arriving is null || arriving.Rule == MaskRule.Lost || arriving.Shape == shape)
        {
            return arriving;
        }

        return arriving with { Rule = MaskRule.AnyPerStep, Parts = [arriving], StepAxes = innerSteps.Rank, Shape = shape, From = null };
    }

    // The mask a layer gives its output from its first input's (arriving), by the rules of its ComputeMask, for a layer of
    // the model (steps empty, source the layer) or one a TimeDistributed runs (steps: the time axes of the wrappers
    // around it, in front of its own axes; source: the model's wrapper). A mask it makes is computed from the model value
    // input (an Embedding's ids, the features Masking compares), which the wrappers only fold; one it passes on is the
    // arriving mask.
    private static MaskPlan? FirstInputMask(Layer layer, Layer source, SymbolicTensor input, TensorShape steps, MaskPlan? arriving) => layer switch
    {
        Embedding embedding => embedding.MaskZero ? new MaskPlan(source, Join(steps, embedding.InputShape), MaskRule.NonZero) { From = input } : null,
        ReversibleEmbedding embedding => embedding.MaskZero ? new MaskPlan(source, Join(steps, embedding.InputShape), MaskRule.NonZero) { From = input } : null,
        Masking masking => new MaskPlan(source, Join(steps, DropLast(masking.InputShape)), MaskRule.Masking) { From = input, MaskValue = masking.MaskValue },
        TimeDistributed wrapper => TimeDistributedMask(wrapper, source, input, steps, arriving),
        Pipeline pipeline => PipelineMask(pipeline, source, input, steps, arriving),
        Recurrent recurrent => recurrent.ReturnSequences ? arriving : null,
        Bidirectional bidirectional => bidirectional.ReturnSequences ? arriving : null,
        GlobalAveragePooling1D => null,
        _ => layer.SupportsMasking ? arriving : null,
    };

    // A Pipeline's layers in turn, each given the mask the one before it left, as Predict runs them. The first layer makes
    // its mask from the pipeline's input; a mask made further in is made from a value inside the pipeline, which the graph
    // does not keep apart, so it is lost there. A layer inside that reads a mask is refused: the converter gives it none.
    private static MaskPlan? PipelineMask(Pipeline pipeline, Layer source, SymbolicTensor input, TensorShape steps, MaskPlan? arriving)
    {
        MaskPlan? mask = arriving;
        for (int i = 0; i < pipeline.RunningLayers.Count; i++)
        {
            Layer inner = pipeline.RunningLayers[i];
            if (mask is not null && ReadsMask(inner))
            {
                throw new NotSupportedException(
                    $"Layer '{inner.Name}' ({inner.GetType().Name}) inside Pipeline '{pipeline.Name}' reads the mask that {Origin(mask)}; NeuralNet.Onnx does not hand masks to the layers inside a Pipeline, so the exported graph would compute without it. Put that layer after the Pipeline, in the model itself.");
            }

            MaskPlan? made = FirstInputMask(inner, source, input, steps, mask);
            mask = i > 0 && made is not null && !ReferenceEquals(made, mask) && made.From is not null
                ? made.LostThrough(pipeline, "made inside the Pipeline, from a value the exported graph does not keep apart")
                : made;
        }

        return mask;
    }

    private static TensorShape Join(TensorShape first, TensorShape second) => new([.. first.Dimensions.ToArray(), .. second.Dimensions.ToArray()]);

    private static TensorShape DropLast(TensorShape shape) => new(shape.Dimensions[..^1].ToArray());
}
