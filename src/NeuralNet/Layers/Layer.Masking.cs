using System.Globalization;

namespace NeuralNet.Layers;

// Keras' masks: a layer may read the masks of its inputs and produce one for its output, and the model carries them
// from layer to layer beside the values. A mask holds 1 where a position is real and 0 where it is padding.
public abstract partial class Layer
{
    private Tensor?[] _inputMasks = [];

    /// <summary>
    /// Whether a mask on the input passes through this layer to its output (Keras' <c>supports_masking</c>). A layer
    /// that does not support masking drops the mask, as Keras 3 does: the layers after it see none.
    /// </summary>
    public virtual bool SupportsMasking => false;

    /// <summary>
    /// Whether the layer neither reads its inputs' masks nor gives its output one, whatever <see cref="SupportsMasking"/>
    /// says: set on a layer that stands for a Keras operation (<c>x + y</c>, <c>ops.relu(x)</c>, ...), which Keras calls
    /// without masks. Saved in the layer's configuration as <c>"drops_masks": true</c> and read back on load.
    /// </summary>
    internal bool DropsMasks { get; set; }

    /// <summary>
    /// The mask of the last forward pass's output (Keras' <c>_keras_mask</c>): shape (batch, ...) of the output without
    /// its last axis, 1 where a position is real and 0 where it is masked; null when the output has no mask.
    /// </summary>
    public Tensor? OutputMask { get; private set; }

    /// <summary>
    /// The mask of output <paramref name="index"/> of the last forward pass: <see cref="OutputMask"/> for the first output,
    /// none for further ones unless the layer says otherwise (Keras' <c>compute_mask</c> returning one mask per output).
    /// </summary>
    internal virtual Tensor? OutputMaskAt(int index) => index == 0 ? OutputMask : null;

    /// <summary>
    /// Whether the output is sure to carry a mask when the inputs flagged in <paramref name="inputsMasked"/> surely carry
    /// theirs, judged from the settings before any forward pass (Keras knows the masks of its symbolic calls), so that a
    /// loss that takes no mask refuses the model before anything runs. The default answers only for the default
    /// <see cref="ComputeMask"/> (the first input's mask passed on by a layer of this library that
    /// <see cref="SupportsMasking"/>): a layer that overrides <see cref="ComputeMask"/> is unsure (false) unless it
    /// overrides this too, so the two cannot disagree silently; an unsure output's mask is refused after the pass that
    /// reveals it.
    /// </summary>
    internal virtual bool MasksSurely(ReadOnlySpan<bool> inputsMasked) =>
        IsLibraryType && SupportsMasking && !DropsMasks && inputsMasked.Length > 0 && inputsMasked[0] && !OverridesComputeMask();

    /// <summary>
    /// Whether a mask on an input stops at this layer without the layer having a say, which Keras warns about ("does not
    /// support masking and will therefore destroy the mask information"; <see cref="Models.Model.Warnings"/>): the layer
    /// does not support masking, does not decide its output's mask itself (<see cref="ComputeMask"/> not overridden: a
    /// layer that makes, combines or consumes masks overrides it, as <c>Embedding</c> or <c>Pipeline</c>; a consumer such
    /// as <c>GlobalAveragePooling1D</c> or a recurrent layer returning its last state also says it supports masking, as
    /// in Keras), and does not stand for a Keras operation (<see cref="DropsMasks"/>: Keras calls operations without
    /// masks and says nothing).
    /// </summary>
    internal bool DestroysMasks => !SupportsMasking && !DropsMasks && !OverridesComputeMask();

    // Whether ComputeMask is overridden: a delegate binds to the override, and Delegate.Method names it without reflection
    // over the type's members (trimming-safe).
    private bool OverridesComputeMask()
    {
        MaskComputation compute = ComputeMask;
        return compute.Method.DeclaringType != typeof(Layer);
    }

    private delegate Tensor? MaskComputation(ReadOnlySpan<Tensor> inputs, Tensor output);

    /// <summary>As <see cref="MasksSurely"/> for output <paramref name="index"/> (<see cref="OutputMaskAt"/>): none but the first by default.</summary>
    internal virtual bool MasksSurelyAt(int index, ReadOnlySpan<bool> inputsMasked) => index == 0 && MasksSurely(inputsMasked);

    /// <summary>Whether the layer's type is this library's own, whose masks <see cref="MasksSurely"/> can judge (a subclass elsewhere may override <see cref="ComputeMask"/>).</summary>
    private protected bool IsLibraryType => GetType().Assembly == typeof(Layer).Assembly;

    /// <summary>The mask of the (first) input in the current forward pass, or null; valid until the next forward pass.</summary>
    protected Tensor? InputMask => _inputMasks.Length > 0 ? _inputMasks[0] : null;

    /// <summary>The masks of every input in the current forward pass (null entries for inputs without one).</summary>
    protected ReadOnlySpan<Tensor?> InputMasks => _inputMasks;

    /// <summary>
    /// Computes the layer's output for a batch whose input carries a mask (null for none), and the output's mask
    /// (<see cref="OutputMask"/>). The mask has the input's shape without its last axis.
    /// </summary>
    /// <exception cref="ArgumentException">The mask's shape does not match the input's.</exception>
    public Tensor Forward(Tensor input, Tensor? mask, bool training)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Forward([input], [mask], training);
    }

    /// <summary>
    /// Computes the layer's output for a batch whose inputs carry masks (null entries for inputs without one), and the
    /// output's mask (<see cref="OutputMask"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The number of masks differs from the number of inputs, or a mask's shape does not match its input's.</exception>
    public Tensor Forward(ReadOnlySpan<Tensor> inputs, ReadOnlySpan<Tensor?> masks, bool training)
    {
        if (masks.Length != inputs.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{Describe()} got {inputs.Length} input(s) but {masks.Length} mask(s)."), nameof(masks));
        }

        for (int i = 0; i < masks.Length; i++)
        {
            if (masks[i] is Tensor mask)
            {
                ArgumentNullException.ThrowIfNull(inputs[i], nameof(inputs));
                if (!MaskFits(mask.Shape, inputs[i].Shape))
                {
                    throw new ArgumentException(
                        $"{Describe()} got a mask {mask.Shape} for input {inputs[i].Shape}; a mask has the input's shape without its last axis.", nameof(masks));
                }
            }
        }

        SetInputMasks(masks);
        return ForwardCore(inputs, training);
    }

    /// <summary>
    /// The output's mask from the inputs' masks (<see cref="InputMasks"/>), called after each forward pass. The
    /// default passes the first input's mask on when the layer <see cref="SupportsMasking"/> and drops it otherwise;
    /// a layer that makes, combines or consumes masks overrides it.
    /// </summary>
    /// <param name="inputs">The inputs of the forward pass.</param>
    /// <param name="output">The output the forward pass returned.</param>
    protected virtual Tensor? ComputeMask(ReadOnlySpan<Tensor> inputs, Tensor output) => SupportsMasking ? InputMask : null;

    /// <summary>Whether <paramref name="mask"/> is the mask of a tensor shaped <paramref name="value"/>: its shape without the last axis.</summary>
    internal static bool MaskFits(TensorShape mask, TensorShape value) =>
        value.Rank >= 2 && mask.Rank == value.Rank - 1 && mask.Dimensions.SequenceEqual(value.Dimensions[..^1]);

    private void SetInputMasks(ReadOnlySpan<Tensor?> masks)
    {
        if (_inputMasks.Length != masks.Length)
        {
            _inputMasks = new Tensor?[masks.Length];
        }

        if (DropsMasks)
        {
            Array.Clear(_inputMasks);
        }
        else
        {
            masks.CopyTo(_inputMasks);
        }
    }
}
