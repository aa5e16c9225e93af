using System.Globalization;
using NeuralNet.Models;

namespace NeuralNet.Layers;

// Calls on tensors with variable axes (Keras' None lengths, see VariableShapes): the layer is built for the nominal
// lengths, and a throwaway copy of it for the probe lengths tells which axes of its outputs follow them.
public abstract partial class Layer
{
    /// <summary>
    /// For a copy that runs another length of a variable axis: the model's own instance of the same call, whose random
    /// generator the copy draws from, so that one call draws one stream whatever the lengths of its batches (and the
    /// generator saved with the model is the one all lengths use).
    /// </summary>
    internal Layer? RandomSource { get; set; }

    /// <summary>A random layer's generator (<see cref="IRandomLayer.Create"/>), or the one of <see cref="RandomSource"/>.</summary>
    private protected SeededRandom CreateRandom(long? seed) =>
        RandomSource is IRandomLayer source ? source.LayerRandom : IRandomLayer.Create(seed, Seed, CallIndex);

    private static bool AnyVariable(ReadOnlySpan<SymbolicTensor> inputs)
    {
        foreach (SymbolicTensor input in inputs)
        {
            if (input.IsVariable)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The output shapes of this (built) layer for its inputs' probe shapes, or null when no input has a variable axis.
    /// </summary>
    /// <exception cref="ArgumentException">The layer cannot take those lengths, or its weights depend on them.</exception>
    private TensorShape[]? ProbeOutputShapes(ReadOnlySpan<SymbolicTensor> inputs)
    {
        if (!AnyVariable(inputs))
        {
            return null;
        }

        // SimpleRnn, Lstm, Gru and Rnn carry (batch, units) states whatever the step count (Keras' stateful=True with
        // batch_shape=(B, None, features)); a stateful Bidirectional's copies would build directions with states of their own.
        if (this is IStatefulLayer { Stateful: true, CarriesAnyStepCount: false })
        {
            throw new ArgumentException($"{Describe()} is stateful and cannot take {string.Join(", ", inputs.ToArray().Select(t => t.BatchString))} with variable axes: a copy built for other lengths would build its directions anew, with states of their own, so it needs inputs of fixed lengths (a stateful SimpleRnn, Lstm, Gru or Rnn outside Bidirectional takes a variable number of steps).", nameof(inputs));
        }

        var probe = new TensorShape[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            probe[i] = inputs[i].ProbeShape;
        }

        Layer copy;
        try
        {
            copy = CopyForShapes(0, null, probe, lengthVariant: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException)
        {
            string given = string.Join(", ", inputs.ToArray().Select(t => t.BatchString));
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} cannot take {given} with variable axes: built for length {VariableShapes.ProbeLength} instead of {InputLayer.NominalLength} on them, {e.Message}"),
                nameof(inputs), e);
        }

        if (copy.OutputCount != OutputCount)
        {
            string given = string.Join(", ", inputs.ToArray().Select(t => t.BatchString));
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} cannot take {given} with variable axes: its number of outputs follows their lengths ({OutputCount} for length {InputLayer.NominalLength}, {copy.OutputCount} for length {VariableShapes.ProbeLength}), while a model's outputs are fixed."),
                nameof(inputs));
        }

        return [.. copy.OutputShapes];
    }

    /// <summary>
    /// Refuses, before the layer is built, inputs whose variable axes (<see cref="SymbolicTensor.VariableAxes"/>) it cannot
    /// take; called only when some input has one. Layers that can take any axis do nothing (the default).
    /// </summary>
    /// <exception cref="ArgumentException">The layer cannot take a variable length on one of those axes.</exception>
    private protected virtual void CheckVariableAxes(ReadOnlySpan<SymbolicTensor> inputs)
    {
    }
}
