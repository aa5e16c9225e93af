using System.Globalization;
using NeuralNet.Losses;
using NeuralNet.Training;

namespace NeuralNet.Models;

// Sample and class weights: given for every output, or by output (Keras' sample_weight as a dict keyed by output name, or
// a list in output order), checked against the outputs, their losses and weighted metrics before anything changes.
public abstract partial class Model
{
    // The weights that follow the data of a batch, and TrainOnBatch's data with them, reused from call to call (a warm
    // TrainOnBatch allocates nothing).
    private Tensor[] _batchWeights = [];
    private Tensor[] _weightedBatch = [];

    /// <summary>
    /// <paramref name="data"/> followed by <paramref name="weights"/>, in an array the model reuses while the count stays the
    /// same (<paramref name="data"/> itself without weights); <see cref="ReleaseBatchArrays"/> clears it after the step.
    /// </summary>
    private Tensor[] WithWeights(Tensor[] data, ReadOnlySpan<Tensor> weights)
    {
        if (weights.IsEmpty)
        {
            return data;
        }

        int count = data.Length + weights.Length;
        if (_weightedBatch.Length != count)
        {
            _weightedBatch = new Tensor[count];
        }

        data.CopyTo(_weightedBatch, 0);
        weights.CopyTo(_weightedBatch.AsSpan(data.Length));
        return _weightedBatch;
    }

    // The reused arrays keep no caller's tensor once a batch call is over.
    private void ReleaseBatchArrays()
    {
        Array.Clear(_checkedData);
        Array.Clear(_batchWeights);
        Array.Clear(_weightedBatch);
        Array.Clear(_resolvedInputs);
        Array.Clear(_resolvedTargets);
    }

    // Weights weigh the compiled losses' and weighted metrics' values by sample, which compare predictions with targets:
    // without targets there is nothing for them to weigh (the losses layers add are not weighted, as in Keras).
    private static void RefuseWeightsWithoutTargets(ModelData? y, ClassWeights? classWeight, ModelData? sampleWeight, string method)
    {
        if (y is null && (classWeight is not null || sampleWeight is not null))
        {
            string given = classWeight is not null ? "classWeight" : "sampleWeight";
            throw new ArgumentException($"{method} was given {given} but no y; weights weigh the compiled losses and weighted metrics by sample, which compare predictions with targets (the losses layers add with AddLoss are not weighted, as in Keras).", given);
        }
    }

    /// <summary>
    /// The weights that go after the data's inputs and targets, checked: none (empty), one tensor for every output, or one
    /// per output in output order with <see cref="SampleWeights.None"/> for an output left unweighted. The span is the
    /// model's buffer, overwritten by the next call.
    /// </summary>
    /// <param name="trainer">The compiled settings the weights are checked against.</param>
    /// <param name="data">The checked inputs and targets.</param>
    /// <param name="classWeight">Keras' <c>class_weight</c>, for a model with one output.</param>
    /// <param name="sampleWeight">Keras' <c>sample_weight</c>: one tensor for every output, one per output in order, or a
    /// dictionary by output name.</param>
    /// <param name="parameterName">The parameter the weights came in (<c>sampleWeight</c>, <c>validationSampleWeight</c>).</param>
    /// <exception cref="ArgumentException">Both kinds of weights, a name that is no output's, a count that is neither 1 nor
    /// the outputs', or weights that do not fit their output (the message names the output and both shapes).</exception>
    /// <exception cref="NotSupportedException">A loss or weighted metric of a weighted output cannot take weights.</exception>
    private ReadOnlySpan<Tensor> BatchWeights(Trainer trainer, Tensor[] data, ClassWeights? classWeight, ModelData? sampleWeight, string parameterName = "sampleWeight")
    {
        if (classWeight is null && sampleWeight is null)
        {
            return default;
        }

        try
        {
            return CheckedBatchWeights(trainer, data, classWeight, sampleWeight, parameterName);
        }
        catch
        {
            // Refused: none of the caller's weights stays referenced.
            Array.Clear(_batchWeights);
            throw;
        }
    }

    private ReadOnlySpan<Tensor> CheckedBatchWeights(Trainer trainer, Tensor[] data, ClassWeights? classWeight, ModelData? sampleWeight, string parameterName)
    {
        if (classWeight is not null && sampleWeight is not null)
        {
            throw new ArgumentException("Give either classWeight or sampleWeight, not both (as Keras: class_weight and sample_weight cannot be used at the same time); fold the class weights into the sample weights.", parameterName);
        }

        int outputs = trainer.Settings.Losses.Length;
        if (_batchWeights.Length < outputs)
        {
            _batchWeights = new Tensor[outputs];
        }

        int samples = data[0].Shape[0];
        if (classWeight is not null)
        {
            _batchWeights[0] = ClassWeightsPerSample(trainer, data, classWeight);
            return _batchWeights.AsSpan(0, 1);
        }

        ModelData given = sampleWeight!.Value;
        if (given.ListOf(1) is Tensor[] single)
        {
            // One tensor for every output, as Keras broadcasts a sample_weight that is not nested.
            Tensor weights = SampleWeights.FromSampleWeight(single[0], samples, parameterName, parameterName)!;
            CheckWeights(trainer, data, weights, only: -1, parameterName, parameterName);
            _batchWeights[0] = weights;
            return _batchWeights.AsSpan(0, 1);
        }

        Span<Tensor?> byOutput = WeightsByOutput(given, outputs, parameterName);
        try
        {
            IReadOnlyList<string>? names = given.IsByName ? CachedOutputNames() : null;
            bool any = false;
            for (int k = 0; k < outputs; k++)
            {
                if (byOutput[k] is Tensor tensor)
                {
                    var label = new WeightsLabel(parameterName, names?[k], k);
                    Tensor weights = SampleWeights.FromSampleWeight(tensor, samples, label, parameterName)!;
                    CheckWeights(trainer, data, weights, only: k, label, parameterName);
                    _batchWeights[k] = weights;
                    any = true;
                }
            }

            for (int k = 0; k < outputs; k++)
            {
                if (byOutput[k] is null)
                {
                    _batchWeights[k] = NoWeights(samples);
                }
            }

            return any ? _batchWeights.AsSpan(0, outputs) : default;
        }
        finally
        {
            // The caller's tensors are not kept past the call (the checked ones are in _batchWeights, released by the caller).
            byOutput.Clear();
        }
    }

    /// <summary>
    /// <paramref name="data"/> followed by the weights <see cref="BatchWeights"/> gave, in a new array (<c>Fit</c>,
    /// <c>Evaluate</c>, a data source's batch keep it); the model's buffer of weights is cleared, so that it keeps no
    /// caller's tensor once the call is over.
    /// </summary>
    private Tensor[] AppendWeights(Tensor[] data, ReadOnlySpan<Tensor> weights)
    {
        Tensor[] all = weights.IsEmpty ? data : [.. data, .. weights];
        Array.Clear(_batchWeights);
        return all;
    }

    // The stand-in for an output without weights among weights by output (SampleWeights.None), one per sample count, kept:
    // it holds no caller's data and is never written.
    private Tensor NoWeights(int samples)
    {
        if (_noWeights is null || _noWeights.Shape[0] != samples)
        {
            _noWeights = SampleWeights.None(samples);
        }

        return _noWeights;
    }

    private Tensor? _noWeights;

    // The weights of each output (null for none) from a list of one per output or a dictionary by output name, in the
    // model's buffer (the caller clears it once read).
    private Span<Tensor?> WeightsByOutput(ModelData given, int outputs, string parameterName)
    {
        if (_weightsByOutput.Length < outputs)
        {
            _weightsByOutput = new Tensor?[outputs];
        }

        Span<Tensor?> byOutput = _weightsByOutput.AsSpan(0, outputs);
        byOutput.Clear();
        if (!given.IsByName)
        {
            if (given.ListOf(outputs) is not Tensor[] list)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{parameterName} has {given.Count} tensors but model '{Name}' has {outputs} outputs ({ExpectedOutputNames()}); give one tensor for every output, one per output in output order, or a dictionary by output name (an output it does not name is not weighted)."), parameterName);
            }

            list.CopyTo(byOutput);
            return byOutput;
        }

        IReadOnlyList<string> names = CachedOutputNames();
        int found = 0;
        for (int k = 0; k < outputs; k++)
        {
            if (given.TryGet(names[k], out Tensor? tensor))
            {
                byOutput[k] = tensor;
                found++;
            }
        }

        if (found != given.Count)
        {
            // A key that names no output (the output names are distinct, so every other key was found once).
            foreach ((string? key, _) in given.Labeled())
            {
                if (!names.Contains(key!, StringComparer.Ordinal))
                {
                    byOutput.Clear();
                    throw new ArgumentException($"{parameterName} has weights for '{key}', which is not an output of model '{Name}' ({ExpectedOutputNames()}); weights by output are keyed by the output names.", parameterName);
                }
            }
        }

        return byOutput;
    }

    private Tensor?[] _weightsByOutput = [];

    private string ExpectedOutputNames() => string.Join(", ", OutputNames.Select(n => $"'{n}'"));

    // Keras' class_weight: one weight per sample from the class of its target, for a model with one output.
    private Tensor ClassWeightsPerSample(Trainer trainer, Tensor[] data, ClassWeights classWeight)
    {
        if (Outputs.Count != 1)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"classWeight applies to models with one output, but model '{Name}' has {Outputs.Count}; give sampleWeight instead."), nameof(classWeight));
        }

        CheckLossesTakeWeights(trainer, only: 0, perEntry: false, nameof(classWeight));
        TensorShape outputShape = Outputs[0].Shape;
        int? ignored = trainer.Settings.Losses[0] is SparseCategoricalCrossEntropy { IgnoreClass: int k } ? k : null;
        return SampleWeights.FromClassWeight(classWeight, data[Inputs.Count], outputShape[outputShape.Rank - 1], ignored);
    }

    // Checks weights against output `only`, or every output (-1): weights of more than one value per sample must broadcast
    // to the loss values of each output they weigh, whose loss and weighted metrics must take them.
    private void CheckWeights(Trainer trainer, Tensor[] data, Tensor weights, int only, WeightsLabel label, string parameterName)
    {
        bool perEntry = !SampleWeights.PerSample(weights);
        if (perEntry)
        {
            CheckEntryWeights(trainer, data, weights, only, label, parameterName);
        }

        CheckLossesTakeWeights(trainer, only, perEntry, parameterName);
    }

    // A loss of an output the weights reach must give per-sample values (or per-entry ones, for weights per entry or an
    // output sure to carry a mask), and each of its weighted metrics must take weights. The answers are cached by the loss
    // and the metric, so a warm call allocates nothing.
    private void CheckLossesTakeWeights(Trainer trainer, int only, bool perEntry, string parameterName)
    {
        ReadOnlySpan<bool> surelyMasked = trainer.SurelyMaskedOutputs;
        for (int output = 0; output < trainer.Settings.Losses.Length; output++)
        {
            if (only >= 0 && output != only)
            {
                continue;
            }

            Loss? loss = trainer.Settings.Losses[output];
            bool byEntries = loss is not null && loss.WritesEntries && (surelyMasked[output] || perEntry);
            if (loss is not null && !byEntries && !loss.WritesPerSample)
            {
                throw new NotSupportedException($"The loss {loss.GetType().Name} does not compute per-sample values (override ComputePerSample), so it cannot be used with {parameterName}.");
            }

            foreach (Metric metric in trainer.Settings.WeightedMetrics[output])
            {
                if (!metric.TakesSampleWeights)
                {
                    throw new NotSupportedException($"The weighted metric {metric.Name} ({metric.GetType().Name}) does not take sample weights (override Update with sampleWeights); compile it as a plain metric, or implement the overload.");
                }
            }
        }
    }

    // Weights of more than one value per sample: every output they weigh (one with a loss or weighted metrics) must have
    // loss values they broadcast to, and a loss and metrics that weigh their values entry by entry; checked before any step.
    private void CheckEntryWeights(Trainer trainer, Tensor[] data, Tensor weights, int only, WeightsLabel label, string parameterName)
    {
        TensorShape[] outputShapes = Executor.OutputShapesFor(data.AsSpan(0, Inputs.Count));
        for (int k = 0; k < outputShapes.Length; k++)
        {
            Loss? loss = trainer.Settings.Losses[k];
            if ((only >= 0 && k != only) || (loss is null && trainer.Settings.WeightedMetrics[k].Length == 0))
            {
                continue;
            }

            if (!SampleWeights.FitsOutput(weights, outputShapes[k]))
            {
                SampleWeights.CheckFitsOutput(weights, OutputNames[k], outputShapes[k], label, parameterName);
            }

            int rank = outputShapes[k].Rank + 1;
            string? refusal = loss?.RefusesEntryWeights(rank);
            foreach (Metric metric in trainer.Settings.WeightedMetrics[k])
            {
                if (refusal is null && metric is CategoricalCrossEntropyMetric { Axis: not -1 } crossEntropy)
                {
                    refusal = LossChecks.EntryWeightsOnLastAxis($"The weighted metric {crossEntropy.Name}", crossEntropy.Axis, rank);
                }
            }

            if (refusal is not null)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{label} has shape {weights.Shape}, one weight per entry of output '{OutputNames[k]}' ({data[0].Shape[0]}, {string.Join(", ", outputShapes[k].Dimensions.ToArray())}): {refusal}."), parameterName);
            }
        }
    }
}
