using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// The products every built-in cell makes at a step, and their reverse: x·kernel + input bias and h·recurrent_kernel,
/// Keras' layouts (kernel (features, gates·units), recurrent kernel (units, gates·units), gate blocks side by side), with
/// Keras' cell dropout: one input mask and one state mask per sample, drawn once per sequence (Keras 3's
/// <c>get_dropout_mask</c> / <c>get_recurrent_dropout_mask</c>), the kept values scaled by 1 / (1 − rate).
/// </summary>
internal sealed class CellProjections(int units, int gates, double dropout, double recurrentDropout)
{
    private float[] _inputMask = [];
    private float[] _stateMask = [];
    private float[] _droppedInput = [];
    private float[] _droppedState = [];
    private float[] _share = [];
    private bool _inputDropped;
    private bool _stateDropped;

    public Parameter Kernel { get; private set; } = null!;

    public Parameter RecurrentKernel { get; private set; } = null!;

    public Parameter? Bias { get; private set; }

    public int Width => gates * units;

    /// <summary>The recurrent dropout mask of the sequence, (batch, units); empty when none is drawn (for tests).</summary>
    public ReadOnlySpan<float> StateMask => _stateDropped ? _stateMask : default;

    private int Features => Kernel.Shape[0];

    /// <summary>Takes the weights the cell created.</summary>
    public void Bind(Parameter kernel, Parameter recurrentKernel, Parameter? bias)
    {
        Kernel = kernel;
        RecurrentKernel = recurrentKernel;
        Bias = bias;
    }

    /// <summary>Draws the sequence's masks in training (input mask first, as Keras' cell asks for them) and sizes the scratch.</summary>
    public void Prepare(int batch, bool training, SeededRandom random)
    {
        _inputDropped = training && dropout > 0;
        _stateDropped = training && recurrentDropout > 0;
        Grow(ref _droppedInput, batch * Features);
        Grow(ref _droppedState, batch * units);
        Grow(ref _share, batch * units);
        if (_inputDropped)
        {
            Grow(ref _inputMask, batch * Features);
            random.FillKeepMask(_inputMask.AsSpan(0, batch * Features), (uint)Math.Round(dropout * (1 << 24)), (float)(1.0 / (1.0 - dropout)));
        }

        if (_stateDropped)
        {
            Grow(ref _stateMask, batch * units);
            random.FillKeepMask(_stateMask.AsSpan(0, batch * units), (uint)Math.Round(recurrentDropout * (1 << 24)), (float)(1.0 / (1.0 - recurrentDropout)));
        }
    }

    /// <summary>z (batch, width) = dropped(x)·kernel + the input bias (the bias' first width values).</summary>
    public void InputProduct(int batch, ReadOnlySpan<float> x, Span<float> z)
    {
        int f = Features, w = Width;
        ReadOnlySpan<float> a = Dropped(x, batch * f, _inputDropped, _inputMask, _droppedInput);
        if (Bias is Parameter bias)
        {
            Gemm.Multiply(false, false, batch, w, f, a, f, Kernel.Value.AsReadOnlySpan(), w, bias.Value.AsReadOnlySpan()[..w], GemmActivation.None, z, w);
        }
        else
        {
            Gemm.Multiply(false, false, batch, w, f, 1f, a, f, Kernel.Value.AsReadOnlySpan(), w, 0f, z, w);
        }
    }

    /// <summary>The state as the recurrent products read it: through the state mask in a pass that drops, else as is.</summary>
    public ReadOnlySpan<float> DroppedState(int batch, ReadOnlySpan<float> h) => Dropped(h, batch * units, _stateDropped, _stateMask, _droppedState);

    /// <summary>destination (rows <paramref name="ldc"/> apart) = beta·destination + a · recurrent_kernel[:, columns].</summary>
    public void RecurrentProduct(int batch, ReadOnlySpan<float> a, int firstColumn, int columns, float beta, Span<float> destination, int ldc) =>
        Gemm.Multiply(false, false, batch, columns, units, 1f, a, units, RecurrentKernel.Value.AsReadOnlySpan()[firstColumn..], Width, beta, destination, ldc);

    /// <summary>The reverse of <see cref="InputProduct"/>: kernel and input-bias gradients added, dx (batch, features) written.</summary>
    public void InputBackward(int batch, ReadOnlySpan<float> x, ReadOnlySpan<float> dz, Span<float> dx)
    {
        int f = Features, w = Width;
        ReadOnlySpan<float> a = Dropped(x, batch * f, _inputDropped, _inputMask, _droppedInput);
        Gemm.Multiply(true, false, f, w, batch, 1f, a, f, dz, w, 1f, Kernel.Gradient.AsSpan(), w);
        if (Bias is Parameter bias)
        {
            Span<float> db = bias.Gradient.AsSpan()[..w];
            for (int b = 0; b < batch; b++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(db, dz.Slice(b * w, w), db);
            }
        }

        Gemm.Multiply(false, true, batch, f, w, 1f, dz, w, Kernel.Value.AsReadOnlySpan(), w, 0f, dx, f);
        if (_inputDropped)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(dx[..(batch * f)], _inputMask.AsSpan(0, batch * f), dx[..(batch * f)]);
        }
    }

    /// <summary>
    /// The reverse of <see cref="RecurrentProduct"/> over <paramref name="a"/> (what the product read, masks applied):
    /// recurrent_kernel[:, columns] gradient added; da (batch, units) += dr·U[:, columns]ᵀ, multiplied by the state mask
    /// when <paramref name="throughMask"/> and the pass drops (da is then the undropped state's gradient).
    /// </summary>
    public void RecurrentBackward(int batch, ReadOnlySpan<float> a, ReadOnlySpan<float> dr, int ldr, int firstColumn, int columns, Span<float> da, bool throughMask)
    {
        int w = Width;
        Gemm.Multiply(true, false, units, columns, batch, 1f, a, units, dr, ldr, 1f, RecurrentKernel.Gradient.AsSpan()[firstColumn..], w);
        if (!(throughMask && _stateDropped))
        {
            Gemm.Multiply(false, true, batch, units, columns, 1f, dr, ldr, RecurrentKernel.Value.AsReadOnlySpan()[firstColumn..], w, 1f, da, units);
            return;
        }

        Span<float> share = _share.AsSpan(0, batch * units);
        Gemm.Multiply(false, true, batch, units, columns, 1f, dr, ldr, RecurrentKernel.Value.AsReadOnlySpan()[firstColumn..], w, 0f, share, units);
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(share, _stateMask.AsSpan(0, batch * units), da[..(batch * units)], da[..(batch * units)]);
    }

    /// <summary>da (batch, units) += the gradient of the dropped state <paramref name="gradient"/>, through the state mask in a pass that drops.</summary>
    public void AddThroughStateMask(int batch, ReadOnlySpan<float> gradient, Span<float> da)
    {
        int n = batch * units;
        if (_stateDropped)
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(gradient[..n], _stateMask.AsSpan(0, n), da[..n], da[..n]);
        }
        else
        {
            System.Numerics.Tensors.TensorPrimitives.Add(gradient[..n], da[..n], da[..n]);
        }
    }

    private static ReadOnlySpan<float> Dropped(ReadOnlySpan<float> values, int length, bool dropped, float[] mask, float[] destination)
    {
        if (!dropped)
        {
            return values;
        }

        System.Numerics.Tensors.TensorPrimitives.Multiply(values[..length], mask.AsSpan(0, length), destination.AsSpan(0, length));
        return destination.AsSpan(0, length);
    }

    /// <summary>Makes <paramref name="buffer"/> hold at least <paramref name="length"/> values, reallocating only to grow.</summary>
    internal static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }
    }
}
