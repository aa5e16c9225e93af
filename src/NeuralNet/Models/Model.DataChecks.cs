using System.Globalization;
using System.Numerics.Tensors;
using NeuralNet.Losses;
using NeuralNet.Training;

namespace NeuralNet.Models;

// The checks of the data given to Fit, Evaluate, Predict and the custom-loop methods: the right number of arrays (or the
// right names), a batch axis, the model's input shapes, the losses' and metrics' target shapes, one sample count, and
// finite values, all before anything is trained.
public abstract partial class Model
{
    // CheckedData's array for TrainOnBatch and TestOnBatch, and the target shapes the losses and metrics accepted last.
    private Tensor[] _checkedData = [];
    private readonly ValidatedTargetShapes _validatedTargets = new();

    /// <summary>Checks that the inputs fit the model (building a <see cref="Sequential"/> first if needed); returns them in input order.</summary>
    private protected virtual void EnsureBuilt(Tensor[] inputs, string parameterName)
    {
        if (!IsBuilt)
        {
            throw NotBuilt();
        }
    }

    /// <summary>The message for input <paramref name="index"/> of per-sample shape <paramref name="actual"/> where the model expects another.</summary>
    private protected virtual string DescribeInputMismatch(int index, string expected, TensorShape actual) =>
        $"Input '{Inputs[index].Layer.Name}' of model '{Name}' expects {expected} but got {actual.ToBatchString()}.";

    private Tensor[] CheckedInputs(ModelData x, string parameterName, bool checkFinite = false) =>
        CheckedInputs(x, parameterName, out _, checkFinite);

    // keys: the input names when x is a dictionary (messages then say x['color'] rather than x[0]), else null.
    // reuse: a dictionary's tensors go into the model's array (a batch call's, cleared by ReleaseBatchArrays).
    private Tensor[] CheckedInputs(ModelData x, string parameterName, out IReadOnlyList<string>? keys, bool checkFinite = false, bool reuse = false)
    {
        Tensor[] inputs = AdjustInputRanks(ResolveInputs(x, parameterName, reuse));
        keys = x.IsByName ? CachedInputNames() : null;
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i].Rank < 2)
            {
                string expected = IsBuilt ? $"; input '{Inputs[i].Layer.Name}' of model '{Name}' expects {Inputs[i].BatchString}" : string.Empty;
                throw new ArgumentException($"{Label(parameterName, keys, i, inputs.Length)} must have a batch axis first, (samples, ...), but has shape {inputs[i].Shape}{expected}.", parameterName);
            }
        }

        bool wasBuilt = IsBuilt;
        EnsureBuilt(inputs, parameterName);
        try
        {
            CheckInputValues(inputs, keys, parameterName, checkFinite);
        }
        catch when (!wasBuilt)
        {
            // Built from data that then failed a check: nothing of the call stays.
            UndoBuild();
            throw;
        }

        return inputs;
    }

    // Keras 3's Functional._adjust_input_rank: data one axis short of an input whose last axis is 1 gains that axis
    // ((samples) read as (samples, 1) for Input(1), one value per sample as a Keras user passes a column), and data with
    // one extra last axis of 1 loses it. Views over the caller's elements; the caller's array is not changed.
    private Tensor[] AdjustInputRanks(Tensor[] inputs)
    {
        if (!IsBuilt || inputs.Length != Inputs.Count)
        {
            return inputs;
        }

        Tensor[]? adjusted = null;
        for (int i = 0; i < inputs.Length; i++)
        {
            Tensor data = inputs[i];
            TensorShape expected = Inputs[i].Shape;
            Tensor? view = null;
            if (data.Rank == expected.Rank && expected.Rank > 0 && expected[-1] == 1)
            {
                view = data.ViewAs(new TensorShape([.. data.Shape.Dimensions, 1]));
            }
            else if (data.Rank == expected.Rank + 2 && data.Shape[-1] == 1)
            {
                view = data.ViewAs(new TensorShape(data.Shape.Dimensions[..^1]));
            }

            if (view is not null)
            {
                adjusted ??= (Tensor[])inputs.Clone();
                adjusted[i] = view;
            }
        }

        return adjusted ?? inputs;
    }

    private void CheckInputValues(Tensor[] inputs, IReadOnlyList<string>? keys, string parameterName, bool checkFinite)
    {
        // The names and shapes for messages are made only for a message: a custom loop's Forward checks its data every step.
        for (int i = 0; i < inputs.Length; i++)
        {
            SymbolicTensor expected = Inputs[i];
            if (!VariableShapes.Fits(inputs[i].Shape.Dimensions[1..], expected.Shape, expected.ProbeShape))
            {
                throw new ArgumentException(DescribeInputMismatch(i, expected.BatchString, inputs[i].Shape.DropFirst()), parameterName);
            }

            if (inputs[i].Shape[0] != inputs[0].Shape[0])
            {
                throw new ArgumentException($"{Label(parameterName, keys, 0, inputs.Length)} has {inputs[0].Shape[0]} samples {inputs[0].Shape} but {Label(parameterName, keys, i, inputs.Length)} has {inputs[i].Shape[0]} {inputs[i].Shape}; the first axes must match.", parameterName);
            }

            if (checkFinite)
            {
                CheckFinite(inputs[i], parameterName, keys, i, inputs.Length);
            }
        }
    }

    // Inputs then targets, checked against the model, the losses and the metrics, with the same number of samples.
    // With trainingMethod, a model whose parameters are all frozen is refused too (after the build it may need). With
    // reuse, the array is the model's own, overwritten by the next such call (TrainOnBatch and TestOnBatch allocate nothing
    // once warm); clear it with ReleaseBatchArrays.
    // Without targets (y null: a model compiled without a loss, as Keras' fit(x)), each output's target slot holds the first
    // input, a view no loss or metric reads (NoTargets checks that none would), so the batch keeps its layout at no cost.
    private Tensor[] CheckedData(ModelData x, ModelData? y, string xName, string yName, bool checkFinite = true, string? trainingMethod = null, bool reuse = false, string? method = null)
    {
        bool wasBuilt = IsBuilt;
        Tensor[] inputs = CheckedInputs(x, xName, out IReadOnlyList<string>? inputKeys, reuse: reuse);
        try
        {
            Tensor[] data = y is ModelData targets
                ? CheckedTargets(inputs, inputKeys, targets, xName, yName, checkFinite, reuse)
                : NoTargets(inputs, inputKeys, xName, yName, checkFinite, reuse, method ?? trainingMethod ?? "Evaluate");
            if (trainingMethod is not null)
            {
                RequireTrainableParameters(trainingMethod);
                Executor.RequireInputGradients(trainingMethod, skipInputGradients: true);
            }

            return data;
        }
        catch when (!wasBuilt)
        {
            // Built from inputs whose targets then failed a check: nothing of the call stays.
            UndoBuild();
            throw;
        }
    }

    // The inputs, then the first input in every target slot: refused when a loss or a metric would read a target, or when
    // weights were given (they weigh the compiled losses and weighted metrics, which need targets).
    private Tensor[] NoTargets(Tensor[] inputs, IReadOnlyList<string>? inputKeys, string xName, string yName, bool checkFinite, bool reuse, string method)
    {
        CompileSettings settings = GetTrainer(method).Settings;
        for (int k = 0; k < settings.Losses.Length; k++)
        {
            if (settings.Losses[k] is Loss loss)
            {
                throw new ArgumentException($"{method} was given no {yName}, but the loss {loss.Name} ({loss.GetType().Name}) of output '{OutputNames[k]}' compares its predictions with targets; give {yName}, or compile without a loss (Compile(optimizer)) to train on the losses the layers add.", yName);
            }

            Metric? metric = settings.Metrics[k].Length > 0 ? settings.Metrics[k][0] : settings.WeightedMetrics[k].Length > 0 ? settings.WeightedMetrics[k][0] : null;
            if (metric is not null)
            {
                throw new ArgumentException($"{method} was given no {yName}, but the metric '{metric.LogName}' ({metric.GetType().Name}) of output '{OutputNames[k]}' compares its predictions with targets; give {yName}, or compile without metrics.", yName);
            }
        }

        int samples = inputs[0].Shape[0];
        if (samples == 0)
        {
            throw new ArgumentException($"{Label(xName, inputKeys, 0, inputs.Length)} has no samples {inputs[0].Shape}; training and evaluation need at least one (Predict of an empty batch gives an empty result).", xName);
        }

        int count = inputs.Length + settings.Losses.Length;
        Tensor[] data = !reuse ? new Tensor[count] : _checkedData.Length == count ? _checkedData : (_checkedData = new Tensor[count]);
        inputs.CopyTo(data, 0);
        data.AsSpan(inputs.Length).Fill(inputs[0]);
        if (checkFinite)
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                CheckFinite(inputs[i], xName, inputKeys, i, inputs.Length);
            }
        }

        return data;
    }

    private Tensor[] CheckedTargets(Tensor[] inputs, IReadOnlyList<string>? inputKeys, ModelData y, string xName, string yName, bool checkFinite, bool reuse)
    {
        Trainer trainer = GetTrainer("Fit");
        IReadOnlyList<string>? targetKeys = y.IsByName ? CachedOutputNames() : null;
        Tensor[] given = y.ListOf(Outputs.Count) ?? y.Resolve(targetKeys ?? OutputNames, Name, "target", yName, reuse ? ResolvedBuffer(ref _resolvedTargets, Outputs.Count) : null);

        // Inputs then targets in one array, the caller's list left as it was (a target of one value per sample is viewed
        // as a column here only).
        int count = inputs.Length + given.Length;
        Tensor[] data = !reuse ? new Tensor[count] : _checkedData.Length == count ? _checkedData : (_checkedData = new Tensor[count]);
        inputs.CopyTo(data, 0);
        given.CopyTo(data, inputs.Length);
        Span<Tensor> targets = data.AsSpan(inputs.Length);
        TensorShape[] outputShapes = Executor.OutputShapesFor(inputs);
        int samples = inputs[0].Shape[0];
        if (samples == 0)
        {
            throw new ArgumentException($"{Label(xName, inputKeys, 0, inputs.Length)} has no samples {inputs[0].Shape}; training and evaluation need at least one (Predict of an empty batch gives an empty result).", xName);
        }

        for (int k = 0; k < targets.Length; k++)
        {
            Tensor target = targets[k];
            if (target.Rank == 0 || target.Shape[0] != samples)
            {
                throw new ArgumentException($"{Label(xName, inputKeys, 0, inputs.Length)} has {samples} samples {inputs[0].Shape} but {Label(yName, targetKeys, k, targets.Length)} has {(target.Rank > 0 ? target.Shape[0] : 0)} {target.Shape}; the first axes must match.", yName);
            }

            TensorShape outputShape = outputShapes[k];
            if (target.Rank == 1 && outputShape.Rank == 1 && outputShape[0] == 1)
            {
                // Keras accepts one value per sample, (samples,), for a one-unit output.
                target = targets[k] = target.Reshape(samples, 1);
            }

            if (!_validatedTargets.Matches(trainer, k, outputShape, target.Shape))
            {
                TensorShape targetShape = target.Shape.DropFirst();
                trainer.Settings.Losses[k]?.ValidateShapes(outputShape, targetShape);
                foreach (Metric metric in trainer.Settings.Metrics[k])
                {
                    metric.ValidateShapes(outputShape, targetShape);
                }

                foreach (Metric metric in trainer.Settings.WeightedMetrics[k])
                {
                    metric.ValidateShapes(outputShape, targetShape);
                }

                _validatedTargets.Remember(trainer, k, outputShape, target.Shape);
            }
        }

        if (checkFinite)
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                CheckFinite(inputs[i], xName, inputKeys, i, inputs.Length);
            }

            for (int k = 0; k < targets.Length; k++)
            {
                CheckFinite(targets[k], yName, targetKeys, k, targets.Length);

                // Values a shape cannot reveal (class indices out of range, AUC's non-binary targets) are found here,
                // before any step, rather than in the batch that holds them after earlier steps changed the weights.
                TensorShape outputShape = outputShapes[k];
                trainer.Settings.Losses[k]?.ValidateTargets(targets[k], outputShape);
                foreach (Metric metric in trainer.Settings.Metrics[k])
                {
                    metric.ValidateTargets(targets[k], outputShape);
                }

                foreach (Metric metric in trainer.Settings.WeightedMetrics[k])
                {
                    metric.ValidateTargets(targets[k], outputShape);
                }
            }
        }

        return data;
    }

    private Tensor[] ResolveInputs(ModelData x, string parameterName, bool reuse)
    {
        if (!IsBuilt && x.Count == 1 && !x.IsByName)
        {
            // A Sequential without an InputLayer learns its input shape from the first data it sees.
            return [.. x];
        }

        if (!IsBuilt && x.IsByName)
        {
            // Such a Sequential has no input to name until then (its input is named after the data it is built from).
            string keys = string.Join(", ", x.Labeled().Select(item => $"'{item.Key}'"));
            throw new ArgumentException($"Model '{Name}' is not built: it learns its input shape from its first data and has no input names yet, but {parameterName} names {keys}. Give {parameterName} as a tensor, or give the model an InputLayer (whose name a dictionary can then use).", parameterName);
        }

        return x.ListOf(Inputs.Count) ?? x.Resolve(x.IsByName ? CachedInputNames() : InputNames, Name, "input", parameterName, reuse ? ResolvedBuffer(ref _resolvedInputs, Inputs.Count) : null);
    }

    // A batch call's array for the tensors of a dictionary, in name order (cleared by ReleaseBatchArrays).
    private static Tensor[] ResolvedBuffer(ref Tensor[] buffer, int count) => buffer.Length == count ? buffer : (buffer = new Tensor[count]);

    private Tensor[] _resolvedInputs = [];
    private Tensor[] _resolvedTargets = [];

    // How messages name array i of the data: by key for a dictionary (x['color']), by position in a list (x[0]), or alone (x).
    private static string Label(string parameterName, IReadOnlyList<string>? keys, int index, int count) =>
        keys is not null ? $"{parameterName}['{keys[index]}']" : ArrayName(parameterName, index, count);

    private static string ArrayName(string parameterName, int index, int count) =>
        count == 1 ? parameterName : string.Create(CultureInfo.InvariantCulture, $"{parameterName}[{index}]");

    // The label (Label) is made only for a message: a custom loop checks its data every step.
    private static void CheckFinite(Tensor t, string parameterName, IReadOnlyList<string>? keys, int index, int count)
    {
        ReadOnlySpan<float> values = t.AsReadOnlySpan();
        if (values.Length == 0 || float.IsFinite(TensorPrimitives.MaxMagnitude(values)))
        {
            return;
        }

        string name = Label(parameterName, keys, index, count);

        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                int stride = values.Length / t.Shape[0];
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{name} contains {(float.IsNaN(values[i]) ? "NaN" : "infinity")} at sample {i / stride} (element {i % stride}); the inputs and targets given to Fit, Evaluate and Predict must be finite."), name);
            }
        }
    }
}
