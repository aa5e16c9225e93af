using System.Globalization;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The short-time Fourier transform of each channel of a signal (Keras' <c>STFTSpectrogram</c>), computed as Keras does:
/// a 1-D convolution with stride <see cref="FrameStep"/> whose kernels, <c>real_kernel</c> and <c>imag_kernel</c> of shape
/// (frameLength, 1, fftLength / 2 + 1), are the windowed DFT rows of <see cref="StftInitializer"/>. Input
/// (batch, steps, channels); output (batch, frames, channels · bins) with channel c's bins at c · bins ..., or
/// (batch, frames, bins, channels) with <see cref="ExpandDims"/>; bins = fftLength / 2 + 1 (twice that in
/// <see cref="SpectrogramMode.Stft"/> mode: the real parts, then the imaginary ones).
/// </summary>
/// <remarks>
/// <para>Frames: 'valid' ⌊(steps − frameLength) / frameStep⌋ + 1; 'same' ⌈steps / frameStep⌉ with zeros split as a
/// convolution's (the odd one after). The kernels are weights: trainable by default as in Keras (its layer, like every
/// layer, starts with <c>trainable=True</c>); set <see cref="Layer.Trainable"/> to false to keep the exact transform.
/// The backward pass is exact for every mode; where Keras' <c>maximum(p, ε)</c> clips (p &lt; ε) the magnitude and log
/// modes pass no gradient, and the angle mode passes none where re = im = 0 (atan2's gradient is undefined there).</para>
/// <para>Differences from Keras: only <c>data_format="channels_last"</c>; windows hann, hamming, blackman or none (not an
/// array of values); the fresh kernels' phases are exact (see <see cref="StftInitializer"/>).</para>
/// </remarks>
/// <example><c>model.Add(new StftSpectrogram(SpectrogramMode.Log, frameLength: 256, frameStep: 128, fftLength: 512) { Trainable = false });</c></example>
public sealed class StftSpectrogram : Layer
{
    // Keras' backend.epsilon() in float32.
    private const float Epsilon = 1e-7f;

    private readonly int? _frameStep;
    private readonly int? _fftLength;
    private Parameter? _realKernel;
    private Parameter? _imagKernel;
    private int _steps;
    private int _channels;
    private int _frames;
    private int _padBefore;
    private int _bins;
    private TensorShape _patchShape;
    private TensorShape _spectrumShape;
    private Tensor? _patches;
    private Tensor? _re;
    private Tensor? _im;
    private Tensor? _output;
    private Tensor? _reGradient;
    private Tensor? _imGradient;
    private Tensor? _patchGradients;
    private Tensor? _inputGradient;
    private int _lastBatch = -1;

    /// <summary>Creates the layer.</summary>
    /// <param name="mode">What is output per bin (Keras default log).</param>
    /// <param name="frameLength">The samples in a frame (Keras default 256).</param>
    /// <param name="frameStep">The samples between frames, in [1, frameLength]; null for frameLength / 2 (Keras' default).</param>
    /// <param name="fftLength">The DFT size, at least frameLength; null for the smallest power of two not below frameLength.</param>
    /// <param name="window">The window (Keras default hann).</param>
    /// <param name="periodic">Whether the window is periodic rather than symmetric (Keras default false).</param>
    /// <param name="scaling">How the window is normalized (Keras default density).</param>
    /// <param name="padding">Valid or Same (Keras default valid).</param>
    /// <param name="expandDims">Whether to output (frames, bins, channels), an image per signal (Keras default false).</param>
    /// <param name="name">The layer's name; null to have the model name it <c>stft_spectrogram</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A length is out of range (the message names it and its value), or an option is unknown.</exception>
    public StftSpectrogram(SpectrogramMode mode = SpectrogramMode.Log, int frameLength = 256, int? frameStep = null, int? fftLength = null,
        SpectralWindow window = SpectralWindow.Hann, bool periodic = false, SpectrogramScaling scaling = SpectrogramScaling.Density,
        Padding padding = Padding.Valid, bool expandDims = false, string? name = null)
        : base(name)
    {
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "StftSpectrogram expects mode Log, Magnitude, Psd, Real, Imag, Angle or Stft.");
        }

        if (!Enum.IsDefined(window))
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "StftSpectrogram expects window None, Hann, Hamming or Blackman.");
        }

        if (!Enum.IsDefined(scaling))
        {
            throw new ArgumentOutOfRangeException(nameof(scaling), scaling, "StftSpectrogram expects scaling None, Density or Spectrum.");
        }

        if (padding is not (Padding.Valid or Padding.Same))
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, "StftSpectrogram expects padding Valid or Same, as Keras.");
        }

        if (frameLength < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(frameLength), frameLength, "StftSpectrogram expects frameLength of at least 2.");
        }

        if (frameStep is int step && (step < 1 || step > frameLength))
        {
            throw new ArgumentOutOfRangeException(nameof(frameStep), step,
                string.Create(CultureInfo.InvariantCulture, $"StftSpectrogram expects frameStep a positive integer not greater than frameLength. Received: frameStep={step}, frameLength={frameLength}."));
        }

        if (fftLength is int fft && fft < frameLength)
        {
            throw new ArgumentOutOfRangeException(nameof(fftLength), fft,
                string.Create(CultureInfo.InvariantCulture, $"StftSpectrogram expects fftLength not less than frameLength. Received: fftLength={fft}, frameLength={frameLength}."));
        }

        Mode = mode;
        FrameLength = frameLength;
        _frameStep = frameStep;
        _fftLength = fftLength;
        Window = window;
        Periodic = periodic;
        Scaling = scaling;
        Padding = padding;
        ExpandDims = expandDims;
    }

    /// <summary>What is output per bin.</summary>
    public SpectrogramMode Mode { get; }

    /// <summary>The samples in a frame.</summary>
    public int FrameLength { get; }

    /// <summary>The samples between frames (frameLength / 2 unless given).</summary>
    public int FrameStep => _frameStep ?? FrameLength / 2;

    /// <summary>The DFT size (the smallest power of two not below frameLength unless given).</summary>
    public int FftLength => _fftLength ?? (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)FrameLength);

    /// <summary>The window.</summary>
    public SpectralWindow Window { get; }

    /// <summary>Whether the window is periodic.</summary>
    public bool Periodic { get; }

    /// <summary>How the window is normalized.</summary>
    public SpectrogramScaling Scaling { get; }

    /// <summary>Valid or Same.</summary>
    public Padding Padding { get; }

    /// <summary>Whether the output is (frames, bins, channels) rather than (frames, channels · bins).</summary>
    public bool ExpandDims { get; }

    /// <summary>The real side's kernel (frameLength, 1, bins); null in <see cref="SpectrogramMode.Imag"/> mode.</summary>
    public Parameter? RealKernel => Mode == SpectrogramMode.Imag ? null : _realKernel ?? throw new InvalidOperationException($"{Describe()} has no kernels until it is built.");

    /// <summary>The imaginary side's kernel (frameLength, 1, bins); null in <see cref="SpectrogramMode.Real"/> mode.</summary>
    public Parameter? ImagKernel => Mode == SpectrogramMode.Real ? null : _imagKernel ?? throw new InvalidOperationException($"{Describe()} has no kernels until it is built.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "stft_spectrogram";

    /// <inheritdoc/>
    public override string TypeName => "STFTSpectrogram";

    private bool HasReal => Mode != SpectrogramMode.Imag;

    private bool HasImag => Mode != SpectrogramMode.Real;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("mode", ModeName(Mode))
        .Set("frame_length", FrameLength)
        .Set("frame_step", (long?)_frameStep)
        .Set("fft_length", (long?)_fftLength)
        .Set("window", SpectralNames.Window(Window))
        .Set("periodic", Periodic)
        .Set("scaling", SpectralNames.Scaling(Scaling))
        .Set("padding", ConfigChecks.PaddingName(Padding))
        .Set("data_format", "channels_last")
        .Set("expand_dims", ExpandDims);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static StftSpectrogram FromConfig(Config config)
    {
        Config d = config.WithDefaults(new StftSpectrogram().GetConfig());
        ConfigChecks.RequireChannelsLast(config);
        string mode = d.GetString("mode");
        SpectrogramMode parsed = Enum.GetValues<SpectrogramMode>().FirstOrDefault(m => ModeName(m) == mode, (SpectrogramMode)(-1));
        if (parsed < 0)
        {
            throw config.Error($"\"mode\" is \"{FormatError.Shorten(mode)}\"; expected one of log, magnitude, psd, real, imag, angle, stft.");
        }

        Padding padding = ConfigChecks.ReadPadding(d);
        if (padding != Padding.Valid && padding != Padding.Same)
        {
            throw config.Error("\"padding\" must be \"valid\" or \"same\".");
        }

        long? step = d.GetNullableInt64("frame_step"), fft = d.GetNullableInt64("fft_length");
        try
        {
            return new StftSpectrogram(parsed, d.GetInt32("frame_length", minimum: 2), step is long s ? checked((int)s) : null, fft is long f ? checked((int)f) : null,
                SpectralNames.ReadWindow(d, allowBlackman: true), d.GetBoolean("periodic"), SpectralNames.ReadScaling(d), padding, d.GetBoolean("expand_dims"), config.GetString("name"));
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw config.Error(e.Message, e);
        }
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank != 2)
        {
            throw new ArgumentException($"{Describe()} expects input (None, steps, channels) but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        _steps = inputShape[0];
        _channels = inputShape[1];
        int step = FrameStep;
        if (Padding == Padding.Valid)
        {
            if (_steps < FrameLength)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()}: a frame of {FrameLength} samples does not fit input {inputShape.ToBatchString()} with 'valid' padding; use 'same' padding or a longer input."), nameof(inputShape));
            }

            _frames = ((_steps - FrameLength) / step) + 1;
            _padBefore = 0;
        }
        else
        {
            _frames = (_steps + step - 1) / step;
            _padBefore = Math.Max(((_frames - 1) * step) + FrameLength - _steps, 0) / 2;
        }

        _bins = (FftLength / 2) + 1;
        var kernelShape = new TensorShape(FrameLength, 1, _bins);
        if (HasReal)
        {
            _realKernel = AddParameter("real_kernel", kernelShape, new StftInitializer(false, Window, Scaling, Periodic));
        }

        if (HasImag)
        {
            _imagKernel = AddParameter("imag_kernel", kernelShape, new StftInitializer(true, Window, Scaling, Periodic));
        }

        _patchShape = new TensorShape(_channels * _frames, FrameLength);
        _spectrumShape = new TensorShape(_channels * _frames, _bins);
        int features = Mode == SpectrogramMode.Stft ? 2 * _bins : _bins;
        return ExpandDims ? new TensorShape(_frames, features, _channels) : new TensorShape(_frames, _channels * features);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], rows = batch * _channels * _frames;
        Tensor patches = BatchView(ref _patches, batch, _patchShape);
        Gather(input.AsReadOnlySpan(), patches.AsSpan(), batch);
        Tensor? re = null, im = null;
        if (HasReal)
        {
            re = BatchView(ref _re, batch, _spectrumShape);
            Gemm.Multiply(false, false, rows, _bins, FrameLength, 1f, patches.AsReadOnlySpan(), FrameLength, _realKernel!.Value.AsReadOnlySpan(), _bins, 0f, re.AsSpan(), _bins);
        }

        if (HasImag)
        {
            im = BatchView(ref _im, batch, _spectrumShape);
            Gemm.Multiply(false, false, rows, _bins, FrameLength, 1f, patches.AsReadOnlySpan(), FrameLength, _imagKernel!.Value.AsReadOnlySpan(), _bins, 0f, im.AsSpan(), _bins);
        }

        Tensor output = BatchView(ref _output, batch, OutputShape);
        WriteOutput(re is null ? default : re.AsReadOnlySpan(), im is null ? default : im.AsReadOnlySpan(), output.AsSpan(), rows / _frames);
        _lastBatch = batch;
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        int batch = outputGradient.Shape[0], rows = batch * _channels * _frames;
        if (batch != _lastBatch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size.");
        }

        Tensor? dRe = HasReal ? BatchView(ref _reGradient, batch, _spectrumShape) : null;
        Tensor? dIm = HasImag ? BatchView(ref _imGradient, batch, _spectrumShape) : null;
        ReadSpectrumGradients(outputGradient.AsReadOnlySpan(), dRe is null ? default : dRe.AsSpan(), dIm is null ? default : dIm.AsSpan(), rows / _frames);

        AddKernelGradient(_realKernel, dRe, rows);
        AddKernelGradient(_imagKernel, dIm, rows);

        Tensor inputGradient = BatchView(ref _inputGradient, batch, InputShape);
        if (!ComputesInputGradient)
        {
            return inputGradient;
        }

        Tensor patchGradients = BatchView(ref _patchGradients, batch, _patchShape);
        float beta2 = 0f;
        if (dRe is not null)
        {
            Gemm.Multiply(false, true, rows, FrameLength, _bins, 1f, dRe.AsReadOnlySpan(), _bins, _realKernel!.Value.AsReadOnlySpan(), _bins, 0f, patchGradients.AsSpan(), FrameLength);
            beta2 = 1f;
        }

        if (dIm is not null)
        {
            Gemm.Multiply(false, true, rows, FrameLength, _bins, 1f, dIm.AsReadOnlySpan(), _bins, _imagKernel!.Value.AsReadOnlySpan(), _bins, beta2, patchGradients.AsSpan(), FrameLength);
        }

        Scatter(patchGradients.AsReadOnlySpan(), inputGradient.AsSpan(), batch);
        return inputGradient;
    }

    // dKernel (+)= patchesᵀ · dSpectrum; skipped while frozen: nothing reads a frozen layer's gradients.
    private void AddKernelGradient(Parameter? kernel, Tensor? spectrumGradient, int rows)
    {
        if (kernel is not null && spectrumGradient is not null && kernel.Trainable)
        {
            Span<float> kernelGradient = kernel.GradientForProduct(out float beta);
            Gemm.Multiply(true, false, FrameLength, _bins, rows, 1f, _patches!.AsReadOnlySpan(), FrameLength, spectrumGradient.AsReadOnlySpan(), _bins, beta, kernelGradient, _bins);
        }
    }

    private static string ModeName(SpectrogramMode mode) => mode.ToString().ToLowerInvariant();

    // The offset of spectrum row (signal s = b·C + c, frame o), bin f in the output; `part` 1 for the imaginary half in Stft mode.
    private int OutputIndex(int signal, int frame, int f, int part)
    {
        int b = signal / _channels, c = signal % _channels, features = Mode == SpectrogramMode.Stft ? 2 * _bins : _bins, feature = (part * _bins) + f;
        return ExpandDims
            ? (((((b * _frames) + frame) * features) + feature) * _channels) + c
            : (((b * _frames) + frame) * _channels * features) + (c * features) + feature;
    }

    // y from re, im (rows of (signal, frame), bins each), per mode, in Keras' float32 order of operations.
    private void WriteOutput(ReadOnlySpan<float> re, ReadOnlySpan<float> im, Span<float> y, int signals)
    {
        for (int s = 0; s < signals; s++)
        {
            for (int o = 0; o < _frames; o++)
            {
                int row = ((s * _frames) + o) * _bins;
                for (int f = 0; f < _bins; f++)
                {
                    int at = OutputIndex(s, o, f, 0);
                    switch (Mode)
                    {
                        case SpectrogramMode.Real:
                            y[at] = re[row + f];
                            break;
                        case SpectrogramMode.Imag:
                            y[at] = im[row + f];
                            break;
                        case SpectrogramMode.Stft:
                            y[at] = re[row + f];
                            y[OutputIndex(s, o, f, 1)] = im[row + f];
                            break;
                        case SpectrogramMode.Angle:
                            y[at] = MathF.Atan2(im[row + f], re[row + f]);
                            break;
                        default:
                            float power = (re[row + f] * re[row + f]) + (im[row + f] * im[row + f]);
                            y[at] = Mode switch
                            {
                                SpectrogramMode.Psd => IsDoubled(f) ? power + power : power,
                                SpectrogramMode.Magnitude => MathF.Sqrt(MathF.Max(power, Epsilon)),
                                _ => MathF.Log(MathF.Max(MathF.Sqrt(MathF.Max(power, Epsilon)), Epsilon)),
                            };
                            break;
                    }
                }
            }
        }
    }

    // dRe, dIm from dy: the chain rule of WriteOutput (maximum passes its gradient where its first argument wins or ties, as TensorFlow's).
    private void ReadSpectrumGradients(ReadOnlySpan<float> dy, Span<float> dRe, Span<float> dIm, int signals)
    {
        ReadOnlySpan<float> re = HasReal ? _re!.AsReadOnlySpan() : default, im = HasImag ? _im!.AsReadOnlySpan() : default;
        for (int s = 0; s < signals; s++)
        {
            for (int o = 0; o < _frames; o++)
            {
                int row = ((s * _frames) + o) * _bins;
                for (int f = 0; f < _bins; f++)
                {
                    int i = row + f;
                    float g = dy[OutputIndex(s, o, f, 0)];
                    switch (Mode)
                    {
                        case SpectrogramMode.Real:
                            dRe[i] = g;
                            break;
                        case SpectrogramMode.Imag:
                            dIm[i] = g;
                            break;
                        case SpectrogramMode.Stft:
                            dRe[i] = g;
                            dIm[i] = dy[OutputIndex(s, o, f, 1)];
                            break;
                        case SpectrogramMode.Angle:
                            // d atan2(im, re) = (re dim − im dre) / (re² + im²); undefined at the origin, where nothing passes.
                            float r2 = (re[i] * re[i]) + (im[i] * im[i]);
                            dRe[i] = r2 > 0f ? -g * im[i] / r2 : 0f;
                            dIm[i] = r2 > 0f ? g * re[i] / r2 : 0f;
                            break;
                        default:
                            float power = (re[i] * re[i]) + (im[i] * im[i]);
                            float dPower = Mode switch
                            {
                                SpectrogramMode.Psd => IsDoubled(f) ? 2f * g : g,
                                SpectrogramMode.Magnitude => power >= Epsilon ? g / (2f * MathF.Sqrt(power)) : 0f,

                                // log √p = ½ log p; the outer maximum with ε never clips, since √ε > ε.
                                _ => power >= Epsilon ? g / (2f * power) : 0f,
                            };
                            dRe[i] = 2f * re[i] * dPower;
                            dIm[i] = 2f * im[i] * dPower;
                            break;
                    }
                }
            }
        }
    }

    // Keras' psd adds power[1:-1] padded by one zero on each side: every bin but the first and the last counts twice.
    private bool IsDoubled(int f) => f > 0 && f < _bins - 1;

    // patches[(b·C + c)·frames + o, j] = x[b, o·step + j − padBefore, c], zero outside the signal.
    private void Gather(ReadOnlySpan<float> x, Span<float> patches, int batch)
    {
        int step = FrameStep;
        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < _channels; c++)
            {
                for (int o = 0; o < _frames; o++)
                {
                    Span<float> patch = patches.Slice(((((b * _channels) + c) * _frames) + o) * FrameLength, FrameLength);
                    for (int j = 0; j < FrameLength; j++)
                    {
                        int t = (o * step) + j - _padBefore;
                        patch[j] = t < 0 || t >= _steps ? 0f : x[(((b * _steps) + t) * _channels) + c];
                    }
                }
            }
        }
    }

    // The reverse of Gather: each tap's gradient is added to the sample it was read from.
    private void Scatter(ReadOnlySpan<float> patchGradients, Span<float> dx, int batch)
    {
        int step = FrameStep;
        dx.Clear();
        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < _channels; c++)
            {
                for (int o = 0; o < _frames; o++)
                {
                    ReadOnlySpan<float> patch = patchGradients.Slice(((((b * _channels) + c) * _frames) + o) * FrameLength, FrameLength);
                    for (int j = 0; j < FrameLength; j++)
                    {
                        int t = (o * step) + j - _padBefore;
                        if (t >= 0 && t < _steps)
                        {
                            dx[(((b * _steps) + t) * _channels) + c] += patch[j];
                        }
                    }
                }
            }
        }
    }
}
