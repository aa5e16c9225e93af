using System.Globalization;

namespace NeuralNet.Layers;

// Layers with more than one output (Keras returns a list from such calls): a recurrent layer with returnState gives its
// output and its last states. Output 0 is what Forward returns and what single-output code sees; the others are read
// after a forward pass and take their gradients beside output 0's in the multi-output Backward.
public abstract partial class Layer
{
    private Tensor? _lastOutput;
    private Tensor? _zeroOutputGradient;

    /// <summary>
    /// The per-sample shapes of all the layer's outputs: <see cref="OutputShape"/> first, then any further outputs (the
    /// states of a recurrent layer with <c>returnState</c>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer has not been built.</exception>
    public IReadOnlyList<TensorShape> OutputShapes => [OutputShape, .. AdditionalOutputShapes];

    /// <summary>The number of outputs: 1 for most layers.</summary>
    /// <exception cref="InvalidOperationException">The layer has not been built.</exception>
    public int OutputCount => IsBuilt ? 1 + AdditionalOutputShapes.Count : throw NotBuilt();

    /// <summary>Whether the layer's settings give it more than one output, known before it is built (Sequential refuses such layers).</summary>
    internal virtual bool HasSeveralOutputs => false;

    /// <summary>The per-sample shapes of the outputs after the first (none unless the layer has several), known once built.</summary>
    private protected virtual IReadOnlyList<TensorShape> AdditionalOutputShapes => [];

    /// <summary>
    /// Output <paramref name="index"/> of the last forward pass: 0 is the tensor <see cref="Forward(Tensor, bool)"/>
    /// returned; 1 and on are the further outputs (for an LSTM with <c>returnState</c>: the last hidden state, then the last
    /// cell state), owned by the layer until its next forward call.
    /// </summary>
    /// <param name="index">The output, from 0 to <see cref="OutputCount"/> − 1.</param>
    /// <returns>(batch, ...<see cref="OutputShapes"/>[index]).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not an output of this layer.</exception>
    /// <exception cref="InvalidOperationException">No forward pass has run, or the model's last pass ran this convolution
    /// together with the max pooling that reads its output and kept no output of it (see docs/architecture.md).</exception>
    public Tensor GetOutput(int index)
    {
        if (index < 0 || index >= OutputCount)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, string.Create(CultureInfo.InvariantCulture, $"{Describe()} has {OutputCount} output(s)."));
        }

        Tensor last = _lastOutput ?? throw new InvalidOperationException(_ranFused
            ? $"{Describe()} kept no output of the model's last forward pass, which ran it together with the max pooling that reads its output."
            : $"{Describe()} has no outputs before a forward pass.");
        return index == 0 ? last : AdditionalOutput(index - 1);
    }

    /// <summary>
    /// Back-propagates through the last forward call of a layer with several outputs: one gradient per output (null where
    /// nothing depends on that output), accumulating parameter gradients and writing one gradient per input into
    /// <paramref name="inputGradients"/>.
    /// </summary>
    /// <param name="outputGradients">dLoss/dOutput k for each output k of <see cref="OutputShapes"/>, or null for none.</param>
    /// <param name="inputGradients">One entry per input; receives dLoss/dInput (owned by the layer), or null where none was computed.</param>
    /// <exception cref="ArgumentException">The number of gradients differs from the number of outputs, or a gradient's shape from its output's.</exception>
    /// <exception cref="InvalidOperationException">No forward pass has run, or the model's last pass ran this layer together
    /// with another and the layer holds no caches of it.</exception>
    public void Backward(ReadOnlySpan<Tensor?> outputGradients, Span<Tensor?> inputGradients)
    {
        bool planned = ComputesInputGradient;
        ComputesInputGradient = true;
        try
        {
            BackwardAsPlanned(outputGradients, inputGradients);
        }
        finally
        {
            ComputesInputGradient = planned;
        }
    }

    /// <summary>
    /// <see cref="Backward(ReadOnlySpan{Tensor}, Span{Tensor})"/> as a model or a wrapper runs it: input gradients only when
    /// <see cref="ComputesInputGradient"/>.
    /// </summary>
    internal void BackwardAsPlanned(ReadOnlySpan<Tensor?> outputGradients, Span<Tensor?> inputGradients)
    {
        int count = OutputCount;
        if (outputGradients.Length != count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{Describe()} has {count} output(s) but {outputGradients.Length} output gradients were given."), nameof(outputGradients));
        }

        ThrowIfRanFused();
        Tensor last = _lastOutput ?? throw new InvalidOperationException($"{Describe()} cannot run backward before a forward pass.");
        IReadOnlyList<TensorShape> more = AdditionalOutputShapes;
        for (int k = 1; k < count; k++)
        {
            if (outputGradients[k] is Tensor g && !IsBatchOf(g.Shape, last.Shape[0], more[k - 1]))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} expects the gradient of output {k} to be {more[k - 1].Prepend(last.Shape[0])} but got {g.Shape}."), nameof(outputGradients));
            }
        }

        Tensor main = outputGradients[0] ?? ZeroOutputGradient(last.Shape[0]);
        SetAdditionalOutputGradients(outputGradients[1..]);
        try
        {
            BackwardAsPlanned(main, inputGradients);
        }
        finally
        {
            SetAdditionalOutputGradients([]);
        }
    }

    /// <summary>Output <paramref name="index"/> + 1 of the last forward pass.</summary>
    private protected virtual Tensor AdditionalOutput(int index) => throw new InvalidOperationException($"{Describe()} has one output.");

    /// <summary>
    /// Hands the layer the gradients of its further outputs (null entries: none) for the backward pass that follows; an
    /// empty span afterwards. Layers with one output ignore it.
    /// </summary>
    private protected virtual void SetAdditionalOutputGradients(ReadOnlySpan<Tensor?> gradients)
    {
    }

    private static bool IsBatchOf(TensorShape shape, int batch, TensorShape sample)
    {
        if (shape.Rank != sample.Rank + 1 || shape[0] != batch)
        {
            return false;
        }

        for (int i = 0; i < sample.Rank; i++)
        {
            if (shape[i + 1] != sample[i])
            {
                return false;
            }
        }

        return true;
    }

    // Zeros for output 0 when only the further outputs have gradients (a model that reads only an LSTM's states).
    private Tensor ZeroOutputGradient(int batch)
    {
        Tensor zeros = BatchView(ref _zeroOutputGradient, batch, OutputShape);
        zeros.AsSpan().Clear();
        return zeros;
    }
}
