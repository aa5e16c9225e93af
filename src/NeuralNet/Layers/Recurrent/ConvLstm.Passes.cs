using System.Globalization;
using NeuralNet.Kernels;

namespace NeuralNet.Layers;

// The forward and backward passes. Every per-step buffer is kept step-major: step s (the s-th to run) owns rows
// [s·R, (s + 1)·R) with R = batch · P rows, P the output positions of a frame, so one step's rows are contiguous and
// each step's products are single GEMMs over the whole batch. W = 4·filters, the gate blocks (i, f, c, o) of a row.
// With (recurrent) dropout in training, each gate reads the input (the state) through its own mask, as Keras' cell does:
// the patches are then made once per gate ("copies"), and each gate's product takes its own block of W columns.
public abstract partial class ConvLstm
{
    private float[] _inputCols = [];     // (copies·R, taps·channels): one step's frame patches, unfolded again in backward
    private float[] _stateCols = [];     // (copies·R, taps·filters): one step's previous hidden state's patches, likewise
    private float[] _preactivations = []; // (steps·R, W): z
    private float[] _gates = [];         // (steps·R, W): σ(z_i), σ(z_f), act(z_c), σ(z_o)
    private float[] _cells = [];         // (steps·R, filters): c after each step
    private float[] _cellActivations = []; // (steps·R, filters): act(c)
    private float[] _hidden = [];        // (steps·R, filters): h after each step
    private float[] _gateGradients = []; // (R, W): dz of the step being reversed
    private float[] _stateGradient = []; // (R, filters): dh reaching the step being reversed
    private float[] _cellGradient = [];  // (R, filters): dc carried to the step before
    private float[] _patchGradients = []; // (R, max(taps·channels, taps·filters)): one step's dPatches
    private float[] _rowGradients = [];  // (W + filters): one row's gate gradients and dc
    private float[] _zeroState = [];
    private float[] _inputMasks = [];    // (4, batch, frame) with dropout: each gate's input mask
    private float[] _stateMasks = [];    // (4, batch, P·filters) with recurrent dropout: each gate's state mask
    private float[] _maskedFrame = [];   // one frame or state through a mask, or one gate's unfolded gradient
    private bool _inputDropped;
    private bool _stateDropped;
    private Tensor? _outputBuffer;
    private Tensor? _lastHiddenBuffer;
    private Tensor? _lastCellBuffer;
    private Tensor? _inputGradientBuffer;
    private Tensor? _initialHiddenGradientBuffer;
    private Tensor? _initialCellGradientBuffer;
    private Tensor? _lastHidden;
    private Tensor? _lastCell;
    private Tensor? _initialHidden;
    private Tensor? _initialCell;
    private Tensor?[] _additionalGradients = [];
    private Tensor? _lastInput;
    private int _batch = -1;

    /// <inheritdoc/>
    private protected override Tensor RunForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        int batch = inputs[0].Shape[0];
        for (int i = 1; i < inputs.Length; i++)
        {
            if (inputs[i].Shape[0] != batch)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} got a batch of {batch} sequences but initial state {i} holds {inputs[i].Shape[0]} samples."), nameof(inputs));
            }
        }

        _initialHidden = inputs.Length > 1 ? inputs[1] : null;
        _initialCell = inputs.Length > 2 ? inputs[2] : null;
        return OnForward(inputs[0], training);
    }

    /// <inheritdoc/>
    private protected override void RunBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        inputGradients[0] = OnBackward(outputGradient);
        if (inputGradients.Length > 1)
        {
            // After the first step's reverse, the gradients carried to "step −1" are the initial states'.
            int batch = outputGradient.Shape[0], length = batch * _stateShape.ElementCount;
            Tensor dh = BatchView(ref _initialHiddenGradientBuffer, batch, _stateShape);
            Tensor dc = BatchView(ref _initialCellGradientBuffer, batch, _stateShape);
            _stateGradient.AsSpan(0, length).CopyTo(dh.AsSpan());
            _cellGradient.AsSpan(0, length).CopyTo(dc.AsSpan());
            inputGradients[1] = dh;
            inputGradients[2] = dc;
        }
    }

    /// <inheritdoc/>
    private protected override Tensor AdditionalOutput(int index) => index == 0 ? _lastHidden! : _lastCell!;

    /// <inheritdoc/>
    private protected override void SetAdditionalOutputGradients(ReadOnlySpan<Tensor?> gradients)
    {
        if (gradients.IsEmpty)
        {
            Array.Clear(_additionalGradients);
        }
        else
        {
            gradients.CopyTo(_additionalGradients);
        }
    }

    /// <summary>The time step the s-th step reads.</summary>
    private int TimeIndex(int s) => GoBackwards ? _steps - 1 - s : s;

    /// <summary>Whether step <paramref name="s"/> reads a previous state: every step but the first, and the first too given initial states.</summary>
    private bool HasPrevious(int s) => s > 0 || _initialHidden is not null;

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        if (InputMask is not null)
        {
            throw new NotSupportedException(
                $"{Describe()} got an input mask, but ConvLSTM layers do not support masking (nor do Keras'); remove the Masking layer (or the Embedding's maskZero) before it.");
        }

        VolumeGeometry g = _inputGeometry, sg = _stateGeometry;
        int batch = input.Shape[0], steps = _steps, f = Filters, w = 4 * f, p = g.OutputPositions, rows = batch * p;
        int kx = g.Taps * g.Channels, kh = sg.Taps * f, frame = g.InputSize, state = p * f;
        _inputDropped = training && Dropout > 0;
        _stateDropped = training && RecurrentDropout > 0;
        int inputCopies = _inputDropped ? 4 : 1, stateCopies = _stateDropped ? 4 : 1;
        long all = (long)steps * rows;
        Grow(ref _inputCols, (long)rows * kx * inputCopies);
        Grow(ref _stateCols, (long)rows * kh * stateCopies);
        Grow(ref _preactivations, all * w);
        Grow(ref _gates, all * w);
        Grow(ref _cells, all * f);
        Grow(ref _cellActivations, all * f);
        Grow(ref _hidden, all * f);
        Grow(ref _maskedFrame, Math.Max(frame, state));
        DrawMasks(ref _inputMasks, _inputDropped, 4L * batch * frame, Dropout);
        DrawMasks(ref _stateMasks, _stateDropped, 4L * batch * state, RecurrentDropout);
        _batch = batch;
        _lastInput = input;

        // Step by step: the frame's input convolution (one product per copy over the batch, plus the bias), then the
        // previous hidden state's recurrent convolution added to it, then the cells. Only one step's patches exist at a
        // time; the backward pass unfolds them again rather than keeping every step's (taps times the frames' size).
        Span<float> z = _preactivations.AsSpan(0, (int)(all * w));
        ReadOnlySpan<float> kernel = Kernel.Value.AsReadOnlySpan(), recurrent = RecurrentKernel.Value.AsReadOnlySpan();
        int inputWidth = w / inputCopies, stateWidth = w / stateCopies;
        for (int s = 0; s < steps; s++)
        {
            Span<float> zStep = z.Slice(s * rows * w, rows * w);
            for (int copy = 0; copy < inputCopies; copy++)
            {
                int first = copy * inputWidth;
                ReadOnlySpan<float> cols = UnfoldFrames(s, copy, batch, rows, kx);
                if (UseBias)
                {
                    Gemm.Multiply(false, false, rows, inputWidth, kx, cols, kx, kernel[first..], w, _bias!.Value.AsReadOnlySpan().Slice(first, inputWidth),
                        GemmActivation.None, zStep[first..], w);
                }
                else
                {
                    Gemm.Multiply(false, false, rows, inputWidth, kx, 1f, cols, kx, kernel[first..], w, 0f, zStep[first..], w);
                }
            }

            if (HasPrevious(s))
            {
                for (int copy = 0; copy < stateCopies; copy++)
                {
                    int first = copy * stateWidth;
                    Gemm.Multiply(false, false, rows, stateWidth, kh, 1f, UnfoldState(s, copy, batch, rows, kh), kh, recurrent[first..], w, 1f, zStep[first..], w);
                }
            }

            ForwardCells(s, rows);
        }

        return WriteOutputs(batch, rows);
    }

    // Step s's frames unfolded into gate copy's block of the one-step patch buffer, (R, taps·channels), each through its mask.
    private ReadOnlySpan<float> UnfoldFrames(int s, int copy, int batch, int rows, int kx)
    {
        VolumeGeometry g = _inputGeometry;
        int p = g.OutputPositions, frame = g.InputSize, t = TimeIndex(s);
        ReadOnlySpan<float> x = _lastInput!.AsReadOnlySpan();
        Span<float> cols = _inputCols.AsSpan(copy * rows * kx, rows * kx);
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> source = Masked(x.Slice(((b * _steps) + t) * frame, frame), _inputDropped, _inputMasks, copy, batch, b);
            VolumeIm2Col.Pack(source, g, cols.Slice(b * p * kx, p * kx));
        }

        return cols;
    }

    // The hidden state step s reads (step s − 1's, or the initial one) unfolded likewise, (R, taps·filters).
    private ReadOnlySpan<float> UnfoldState(int s, int copy, int batch, int rows, int kh)
    {
        VolumeGeometry sg = _stateGeometry;
        int f = Filters, p = _inputGeometry.OutputPositions, state = p * f;
        ReadOnlySpan<float> previous = s > 0 ? _hidden.AsSpan((s - 1) * rows * f, rows * f) : _initialHidden!.AsReadOnlySpan();
        Span<float> cols = _stateCols.AsSpan(copy * rows * kh, rows * kh);
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> source = Masked(previous.Slice(b * state, state), _stateDropped, _stateMasks, copy, batch, b);
            VolumeIm2Col.Pack(source, sg, cols.Slice(b * p * kh, p * kh));
        }

        return cols;
    }

    // Draws this pass' masks (one per gate and sample, kept for every step) when the rate applies.
    private void DrawMasks(ref float[] masks, bool dropped, long length, double rate)
    {
        if (!dropped)
        {
            return;
        }

        Grow(ref masks, length);
        _random ??= ((IRandomLayer)this).LayerRandom;
        _random.FillKeepMask(masks.AsSpan(0, (int)length), (uint)Math.Round(rate * (1 << 24)), (float)(1.0 / (1.0 - rate)));
    }

    // values (one sample's frame or state) through gate copy's mask of sample b into the layer's buffer, or values as they are.
    private ReadOnlySpan<float> Masked(ReadOnlySpan<float> values, bool dropped, float[] masks, int copy, int batch, int b)
    {
        if (!dropped)
        {
            return values;
        }

        Span<float> masked = _maskedFrame.AsSpan(0, values.Length);
        System.Numerics.Tensors.TensorPrimitives.Multiply(values, masks.AsSpan(((copy * batch) + b) * values.Length, values.Length), masked);
        return masked;
    }

    // destination += col2im(patches) for one sample, through gate copy's mask when the pass dropped.
    private void UnpackMasked(ReadOnlySpan<float> patches, in VolumeGeometry geometry, Span<float> destination, bool dropped, float[] masks, int copy, int batch, int b)
    {
        if (!dropped)
        {
            VolumeIm2Col.AddUnpack(patches, geometry, destination);
            return;
        }

        Span<float> unfolded = _maskedFrame.AsSpan(0, destination.Length);
        unfolded.Clear();
        VolumeIm2Col.AddUnpack(patches, geometry, unfolded);
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(unfolded, masks.AsSpan(((copy * batch) + b) * destination.Length, destination.Length), destination, destination);
    }

    /// <summary>This layer's dropout masks of the last training pass that drew them, (4, batch, frame) and (4, batch, state) in their first elements (for tests).</summary>
    internal (float[] Input, float[] State) DropoutMasks => (_inputMasks, _stateMasks);

    // The element-wise LSTM cell of step s over its R rows.
    private void ForwardCells(int s, int rows)
    {
        int f = Filters, w = 4 * f;
        for (int r = 0; r < rows; r++)
        {
            int row = (s * rows) + r;
            ReadOnlySpan<float> z = _preactivations.AsSpan(row * w, w);
            Span<float> a = _gates.AsSpan(row * w, w), c = _cells.AsSpan(row * f, f);
            RecurrentActivation.Forward(z[..f], a[..f], f);
            RecurrentActivation.Forward(z.Slice(f, f), a.Slice(f, f), f);
            Activation.Forward(z.Slice(2 * f, f), a.Slice(2 * f, f), f);
            RecurrentActivation.Forward(z.Slice(3 * f, f), a.Slice(3 * f, f), f);
            ReadOnlySpan<float> previous = PreviousCell(s, rows, r);
            for (int j = 0; j < f; j++)
            {
                c[j] = (a[f + j] * previous[j]) + (a[j] * a[(2 * f) + j]);
            }
        }

        Span<float> cells = _cells.AsSpan(s * rows * f, rows * f), tc = _cellActivations.AsSpan(s * rows * f, rows * f), h = _hidden.AsSpan(s * rows * f, rows * f);
        Activation.Forward(cells, tc, f);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> o = _gates.AsSpan((((s * rows) + r) * w) + (3 * f), f);
            System.Numerics.Tensors.TensorPrimitives.Multiply(o, tc.Slice(r * f, f), h.Slice(r * f, f));
        }
    }

    // Row r's cell state before step s: the cells' row of step s − 1, else the initial cell state or zeros.
    private ReadOnlySpan<float> PreviousCell(int s, int rows, int r) => s > 0
        ? _cells.AsSpan((((s - 1) * rows) + r) * Filters, Filters)
        : _initialCell is not null ? _initialCell.AsReadOnlySpan().Slice(r * Filters, Filters) : _zeroState;

    private Tensor WriteOutputs(int batch, int rows)
    {
        int steps = _steps, f = Filters, state = rows / batch * f;
        ReadOnlySpan<float> lastHidden = _hidden.AsSpan((steps - 1) * rows * f, rows * f);
        Tensor output = BatchView(ref _outputBuffer, batch, OutputShape);
        if (ReturnSequences)
        {
            // (steps, batch, P·filters) by step -> (batch, steps, P·filters), steps in the order they ran.
            Span<float> y = output.AsSpan();
            for (int s = 0; s < steps; s++)
            {
                for (int b = 0; b < batch; b++)
                {
                    _hidden.AsSpan(((s * batch) + b) * state, state).CopyTo(y.Slice(((b * steps) + s) * state, state));
                }
            }

            if (ReturnState)
            {
                _lastHidden = BatchView(ref _lastHiddenBuffer, batch, _stateShape);
                lastHidden.CopyTo(_lastHidden.AsSpan());
            }
        }
        else
        {
            lastHidden.CopyTo(output.AsSpan());
            _lastHidden = output;
        }

        if (ReturnState)
        {
            _lastCell = BatchView(ref _lastCellBuffer, batch, _stateShape);
            _cells.AsSpan((steps - 1) * rows * f, rows * f).CopyTo(_lastCell.AsSpan());
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        int batch = outputGradient.Shape[0];
        if (batch != _batch)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last forward batch {_batch})."));
        }

        VolumeGeometry g = _inputGeometry, sg = _stateGeometry;
        int steps = _steps, f = Filters, w = 4 * f, p = g.OutputPositions, rows = batch * p;
        int kx = g.Taps * g.Channels, kh = sg.Taps * f, frame = g.InputSize, state = p * f;
        Grow(ref _gateGradients, (long)rows * w);
        Grow(ref _stateGradient, (long)rows * f);
        Grow(ref _cellGradient, (long)rows * f);
        Grow(ref _patchGradients, (long)rows * Math.Max(kx, kh));
        Grow(ref _rowGradients, w + f);

        int inputCopies = _inputDropped ? 4 : 1, stateCopies = _stateDropped ? 4 : 1, inputWidth = w / inputCopies, stateWidth = w / stateCopies;
        Span<float> dh = _stateGradient.AsSpan(0, rows * f), dc = _cellGradient.AsSpan(0, rows * f);
        dh.Clear();
        ReadOnlySpan<float> finalCell = _additionalGradients.Length > 1 && _additionalGradients[1] is Tensor c ? c.AsReadOnlySpan() : default;
        if (finalCell.IsEmpty)
        {
            dc.Clear();
        }
        else
        {
            finalCell.CopyTo(dc);
        }

        // The weights' gradients are accumulated step by step; the first product of the pass takes the gradient's beta.
        float kernelBeta = 1f, recurrentBeta = 1f;
        Span<float> kernelGradient = Kernel.Trainable ? Kernel.GradientForProduct(out kernelBeta) : default;
        bool recurrentTrainable = RecurrentKernel.Trainable;
        Span<float> recurrentGradient = recurrentTrainable ? RecurrentKernel.GradientForProduct(out recurrentBeta) : default;
        Span<float> biasGradient = _bias is { Trainable: true } ? _bias.Gradient.AsSpan() : default;
        Tensor? inputGradient = ComputesInputGradient ? BatchView(ref _inputGradientBuffer, batch, _sequenceShape) : null;
        Span<float> dx = inputGradient is null ? default : inputGradient.AsSpan();
        dx.Clear();

        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan(), recurrent = RecurrentKernel.Value.AsReadOnlySpan(), kernel = Kernel.Value.AsReadOnlySpan();
        Span<float> dz = _gateGradients.AsSpan(0, rows * w);
        for (int s = steps - 1; s >= 0; s--)
        {
            // dh of step s: its output's gradient (every step's with returnSequences, else the last's), the final
            // state output's for the last step, and what the later step carried back through the recurrent convolution.
            if (ReturnSequences)
            {
                for (int b = 0; b < batch; b++)
                {
                    Span<float> row = dh.Slice(b * state, state);
                    System.Numerics.Tensors.TensorPrimitives.Add(row, dy.Slice(((b * steps) + s) * state, state), row);
                }
            }
            else if (s == steps - 1)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(dh, dy[..(rows * f)], dh);
            }

            if (s == steps - 1 && _additionalGradients.Length > 0 && _additionalGradients[0] is Tensor finalHidden)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(dh, finalHidden.AsReadOnlySpan(), dh);
            }

            BackwardCells(s, rows, dh, dc, dz);

            // dKernel += patchesᵀ · dz (each copy on its gates' columns), with the step's patches unfolded again; dBias += Σ dz.
            if (!kernelGradient.IsEmpty)
            {
                for (int copy = 0; copy < inputCopies; copy++)
                {
                    int first = copy * inputWidth;
                    Gemm.Multiply(true, false, kx, inputWidth, rows, 1f, UnfoldFrames(s, copy, batch, rows, kx), kx, dz[first..], w, kernelBeta,
                        kernelGradient[first..], w);
                }

                kernelBeta = 1f;
            }

            if (!biasGradient.IsEmpty)
            {
                Convolution.AddColumnSums(dz, w, biasGradient);
            }

            if (HasPrevious(s))
            {
                if (recurrentTrainable)
                {
                    for (int copy = 0; copy < stateCopies; copy++)
                    {
                        int first = copy * stateWidth;
                        Gemm.Multiply(true, false, kh, stateWidth, rows, 1f, UnfoldState(s, copy, batch, rows, kh), kh, dz[first..], w, recurrentBeta,
                            recurrentGradient[first..], w);
                    }

                    recurrentBeta = 1f;
                }

                // dPrevious = Σ over copies of col2im(dz · Uᵀ) (through the gate's mask), sample by sample.
                Span<float> patches = _patchGradients.AsSpan(0, rows * kh);
                dh.Clear();
                for (int copy = 0; copy < stateCopies; copy++)
                {
                    int first = copy * stateWidth;
                    Gemm.Multiply(false, true, rows, kh, stateWidth, 1f, dz[first..], w, recurrent[first..], w, 0f, patches, kh);
                    for (int b = 0; b < batch; b++)
                    {
                        UnpackMasked(patches.Slice(b * p * kh, p * kh), sg, dh.Slice(b * state, state), _stateDropped, _stateMasks, copy, batch, b);
                    }
                }
            }

            if (inputGradient is not null)
            {
                // The frame's gradient: col2im(dz · Kᵀ) per copy, through the gate's mask.
                Span<float> patch = _patchGradients.AsSpan(0, rows * kx);
                int t = TimeIndex(s);
                for (int copy = 0; copy < inputCopies; copy++)
                {
                    int first = copy * inputWidth;
                    Gemm.Multiply(false, true, rows, kx, inputWidth, 1f, dz[first..], w, kernel[first..], w, 0f, patch, kx);
                    for (int b = 0; b < batch; b++)
                    {
                        UnpackMasked(patch.Slice(b * p * kx, p * kx), g, dx.Slice(((b * steps) + t) * frame, frame), _inputDropped, _inputMasks, copy, batch, b);
                    }
                }
            }
        }

        // One step from zeros: the recurrent kernel was never read, so its gradient is zero.
        if (recurrentTrainable && recurrentBeta == 0f)
        {
            recurrentGradient.Clear();
        }

        return inputGradient ?? outputGradient; // the layer contract: no input gradient is wanted, so none is computed
    }

    // The reverse of step s's cell over its R rows: dh and the carried dc in, dz out, dc carried to step s − 1.
    private void BackwardCells(int s, int rows, ReadOnlySpan<float> dh, Span<float> dcCarry, Span<float> dzStep)
    {
        int f = Filters, w = 4 * f;
        Span<float> da = _rowGradients.AsSpan(0, w), dcRow = _rowGradients.AsSpan(w, f);
        for (int r = 0; r < rows; r++)
        {
            int row = (s * rows) + r;
            ReadOnlySpan<float> a = _gates.AsSpan(row * w, w), z = _preactivations.AsSpan(row * w, w);
            ReadOnlySpan<float> c = _cells.AsSpan(row * f, f), tc = _cellActivations.AsSpan(row * f, f), dhRow = dh.Slice(r * f, f);
            ReadOnlySpan<float> previous = PreviousCell(s, rows, r);
            Span<float> carry = dcCarry.Slice(r * f, f), dtc = da.Slice(2 * f, f);
            for (int j = 0; j < f; j++)
            {
                da[(3 * f) + j] = dhRow[j] * tc[j];
                dtc[j] = dhRow[j] * a[(3 * f) + j];
            }

            // dc = act'(c)·dtc + the carried dc; dtc's slot becomes the candidate's gradient below.
            Activation.Backward(c, tc, dtc, dcRow, f);
            for (int j = 0; j < f; j++)
            {
                float dcj = dcRow[j] + carry[j];
                da[j] = dcj * a[(2 * f) + j];
                da[f + j] = dcj * previous[j];
                da[(2 * f) + j] = dcj * a[j];
                carry[j] = dcj * a[f + j];
            }

            Span<float> dz = dzStep.Slice(r * w, w);
            RecurrentActivation.Backward(z[..f], a[..f], da[..f], dz[..f], f);
            RecurrentActivation.Backward(z.Slice(f, f), a.Slice(f, f), da.Slice(f, f), dz.Slice(f, f), f);
            Activation.Backward(z.Slice(2 * f, f), a.Slice(2 * f, f), da.Slice(2 * f, f), dz.Slice(2 * f, f), f);
            RecurrentActivation.Backward(z.Slice(3 * f, f), a.Slice(3 * f, f), da.Slice(3 * f, f), dz.Slice(3 * f, f), f);
        }
    }

    private void Grow(ref float[] buffer, long length)
    {
        if (length > Array.MaxLength)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()}: this batch needs a buffer of {length} elements, more than an array holds; use smaller batches or shorter sequences."));
        }

        if (buffer.Length < length)
        {
            buffer = new float[length];
        }
    }
}
