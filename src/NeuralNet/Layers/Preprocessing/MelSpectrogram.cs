using System.Globalization;
using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Converts audio to a mel spectrogram (Keras' <c>MelSpectrogram</c>): input (batch, samples), output
/// (batch, numMelBins, frames). As Keras' <c>ops.stft(center=True)</c>: the signal is reflect-padded by fftLength / 2 on
/// each side, cut into frames of fftLength every sequenceStride samples (frames = 1 + (samples + 2·(fftLength / 2) − fftLength)
/// / sequenceStride), each frame windowed by a periodic window of sequenceLength samples centred in it and transformed;
/// then <c>|X|^magExp</c>, the HTK mel filterbank (<c>linear_to_mel_weight_matrix</c> between minFreq and maxFreq), and with
/// <see cref="PowerToDb"/> <c>10 log10(max(S, minPower)) − 10 log10(max(|refPower|, minPower))</c> clipped below at its
/// maximum minus topDb.
/// </summary>
/// <remarks>
/// <para>No weights. Differentiable, like Rescaling and Normalization: the backward pass is exact, with Keras' (TensorFlow's)
/// conventions where a function is not smooth: <c>maximum</c> passes the gradient to its first argument where it wins or ties,
/// the values clipped by topDb pass theirs to the maximum (shared among ties), and nothing passes where |X| = 0.</para>
/// <para>As in Keras, the topDb floor is the maximum over the whole batch, so a sample's output depends on the others in its batch;
/// the samples must number more than fftLength / 2 (reflect padding, as TensorFlow requires). The STFT runs as two GEMMs of the
/// frames with the windowed DFT rows. Windows: hann, hamming or none (not an array of values).</para>
/// </remarks>
/// <example><c>model.Add(new MelSpectrogram(fftLength: 512, sequenceStride: 128, samplingRate: 16000, numMelBins: 64));</c></example>
public sealed class MelSpectrogram : Layer
{
    private static readonly float DbPerLn = (float)(10.0 / Math.Log(10.0));
    private int _samples;
    private int _frames;
    private int _bins;
    private int _taps;
    private int _offset;
    private float[] _realRows = [];
    private float[] _imagRows = [];
    private float[] _melWeights = [];
    private TensorShape _patchShape;
    private TensorShape _spectrumShape;
    private TensorShape _melShape;
    private Tensor? _patches;
    private Tensor? _re;
    private Tensor? _im;
    private Tensor? _spectrum;
    private Tensor? _mel;
    private Tensor? _output;
    private Tensor? _melGradient;
    private Tensor? _reGradient;
    private Tensor? _imGradient;
    private Tensor? _patchGradients;
    private Tensor? _inputGradient;
    private float _max;
    private int _lastBatch = -1;

    /// <summary>Creates the layer.</summary>
    /// <param name="fftLength">The DFT size and frame length (Keras default 2048).</param>
    /// <param name="sequenceStride">The samples between frames (Keras default 512).</param>
    /// <param name="sequenceLength">The window length, at most fftLength; null for fftLength (Keras' default).</param>
    /// <param name="window">Hann (default), Hamming or None; periodic, as Keras' <c>ops.stft</c>.</param>
    /// <param name="samplingRate">The signal's samples per second (Keras default 16000).</param>
    /// <param name="numMelBins">The mel bands (Keras default 128).</param>
    /// <param name="minFreq">The lower edge of the lowest band in hertz (Keras default 20).</param>
    /// <param name="maxFreq">The upper edge of the highest band in hertz; null for ⌊samplingRate / 2⌋ (Keras' default).</param>
    /// <param name="powerToDb">Whether to convert to decibels (Keras default true).</param>
    /// <param name="topDb">The decibels kept below the maximum (Keras default 80).</param>
    /// <param name="magExp">The exponent of |X| (Keras default 2: power).</param>
    /// <param name="minPower">The floor of the power and of refPower before the logarithm (Keras default 1e-10).</param>
    /// <param name="refPower">The power of 0 dB (Keras default 1).</param>
    /// <param name="name">The layer's name; null to have the model name it <c>mel_spectrogram</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range (the message names it and its value).</exception>
    public MelSpectrogram(int fftLength = 2048, int sequenceStride = 512, int? sequenceLength = null, SpectralWindow window = SpectralWindow.Hann,
        int samplingRate = 16000, int numMelBins = 128, double minFreq = 20.0, double? maxFreq = null, bool powerToDb = true, double topDb = 80.0,
        double magExp = 2.0, double minPower = 1e-10, double refPower = 1.0, string? name = null)
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fftLength, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceStride, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(samplingRate, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numMelBins, 1);
        int length = sequenceLength ?? fftLength;
        if (length < 1 || fftLength < length)
        {
            throw new ArgumentOutOfRangeException(nameof(sequenceLength), length, string.Create(CultureInfo.InvariantCulture,
                $"MelSpectrogram expects fftLength greater than or equal to sequenceLength (and sequenceLength positive). Received: sequenceLength={length}, fftLength={fftLength}."));
        }

        if (window is not (SpectralWindow.None or SpectralWindow.Hann or SpectralWindow.Hamming))
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "MelSpectrogram expects window Hann, Hamming or None, as Keras' ops.stft.");
        }

        double upper = maxFreq ?? (samplingRate / 2);
        if (!double.IsFinite(minFreq) || minFreq < 0 || !double.IsFinite(upper) || upper <= minFreq)
        {
            throw new ArgumentOutOfRangeException(maxFreq is null ? nameof(minFreq) : nameof(maxFreq), maxFreq ?? minFreq, string.Create(CultureInfo.InvariantCulture,
                $"MelSpectrogram expects 0 <= minFreq < maxFreq. Received: minFreq={minFreq}, maxFreq={upper}."));
        }

        Check(topDb, nameof(topDb), positive: false);
        Check(magExp, nameof(magExp), positive: true);
        Check(minPower, nameof(minPower), positive: true);
        Check(refPower, nameof(refPower), positive: false);
        FftLength = fftLength;
        SequenceStride = sequenceStride;
        SequenceLength = length;
        Window = window;
        SamplingRate = samplingRate;
        NumMelBins = numMelBins;
        MinFreq = minFreq;
        MaxFreq = upper;
        PowerToDb = powerToDb;
        TopDb = topDb;
        MagExp = magExp;
        MinPower = minPower;
        RefPower = refPower;
    }

    /// <summary>The DFT size and frame length.</summary>
    public int FftLength { get; }

    /// <summary>The samples between frames.</summary>
    public int SequenceStride { get; }

    /// <summary>The window length.</summary>
    public int SequenceLength { get; }

    /// <summary>The window.</summary>
    public SpectralWindow Window { get; }

    /// <summary>The signal's samples per second.</summary>
    public int SamplingRate { get; }

    /// <summary>The mel bands.</summary>
    public int NumMelBins { get; }

    /// <summary>The lower edge of the lowest band in hertz.</summary>
    public double MinFreq { get; }

    /// <summary>The upper edge of the highest band in hertz.</summary>
    public double MaxFreq { get; }

    /// <summary>Whether the output is in decibels.</summary>
    public bool PowerToDb { get; }

    /// <summary>The decibels kept below the maximum.</summary>
    public double TopDb { get; }

    /// <summary>The exponent of |X|.</summary>
    public double MagExp { get; }

    /// <summary>The floor of the power and of refPower before the logarithm.</summary>
    public double MinPower { get; }

    /// <summary>The power of 0 dB.</summary>
    public double RefPower { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "mel_spectrogram";

    // ops.stft: without a window every sample of the fftLength frame counts; with one, the window's sequenceLength samples sit
    // at (fftLength − sequenceLength) / 2 in the frame.
    private int Taps => Window == SpectralWindow.None ? FftLength : SequenceLength;

    private int Offset => Window == SpectralWindow.None ? 0 : (FftLength - SequenceLength) / 2;

    /// <summary>
    /// The mel filterbank the layer applies to each frame's spectrum (Keras' <c>linear_to_mel_weight_matrix</c> with the layer's
    /// settings): shape (fftLength / 2 + 1, numMelBins), row f the weights of DFT bin f, so that a spectrum (frames, bins) times
    /// it is the mel spectrum (frames, numMelBins). Computed in float64 and rounded once to float32, the values the layer uses.
    /// </summary>
    /// <returns>A new tensor; the layer need not be built.</returns>
    public Tensor LinearToMelWeightMatrix()
    {
        int bins = (FftLength / 2) + 1;
        var weights = new Tensor(bins, NumMelBins);
        Spectral.MelWeights(NumMelBins, bins, SamplingRate, MinFreq, MaxFreq, weights.AsSpan());
        return weights;
    }

    /// <summary>
    /// The windowed DFT the layer applies to each frame (Keras' <c>ops.stft</c> with <c>center=True</c>): shape
    /// (fftLength, fftLength / 2 + 1), so that a frame of fftLength samples of the reflect-padded signal times it is the real
    /// part (or, with <paramref name="imaginary"/>, the imaginary part) of the frame's windowed DFT. A window shorter than the
    /// frame sits in its middle and the rows outside it are zero. The values the layer uses, in float32.
    /// </summary>
    /// <param name="imaginary">Whether to return the imaginary side (sines) rather than the real side (cosines).</param>
    /// <returns>A new tensor; the layer need not be built.</returns>
    public Tensor WindowedDftMatrix(bool imaginary)
    {
        int bins = (FftLength / 2) + 1;
        var matrix = new Tensor(FftLength, bins);
        DftRows(imaginary).CopyTo(matrix.AsSpan().Slice(Offset * bins, Taps * bins));
        return matrix;
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("fft_length", FftLength)
        .Set("sequence_stride", SequenceStride)
        .Set("sequence_length", SequenceLength)
        .Set("window", SpectralNames.Window(Window))
        .Set("sampling_rate", SamplingRate)
        .Set("num_mel_bins", NumMelBins)
        .Set("min_freq", MinFreq)
        .Set("max_freq", MaxFreq)
        .Set("power_to_db", PowerToDb)
        .Set("top_db", TopDb)
        .Set("mag_exp", MagExp)
        .Set("min_power", MinPower)
        .Set("ref_power", RefPower);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static MelSpectrogram FromConfig(Config config)
    {
        Config d = config.WithDefaults(new MelSpectrogram().GetConfig());
        int fft = d.GetInt32("fft_length", minimum: 2);
        long? length = d.GetNullableInt64("sequence_length");
        try
        {
            return new MelSpectrogram(fft, d.GetInt32("sequence_stride", minimum: 1), length is long l ? checked((int)l) : null, SpectralNames.ReadWindow(d, allowBlackman: false),
                checked((int)d.GetDouble("sampling_rate")), d.GetInt32("num_mel_bins", minimum: 1), d.GetDouble("min_freq"),
                d.Contains("max_freq") ? d.GetDouble("max_freq") : null, d.GetBoolean("power_to_db"), d.GetDouble("top_db"), d.GetDouble("mag_exp"),
                d.GetDouble("min_power"), d.GetDouble("ref_power"), config.GetString("name"));
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw config.Error(e.Message, e);
        }
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank != 1)
        {
            throw new ArgumentException($"{Describe()} expects input (None, samples) but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        _samples = inputShape[0];
        int half = FftLength / 2;
        if (_samples <= half)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()}: input {inputShape.ToBatchString()} is too short to reflect-pad by fftLength / 2 = {half} samples; it needs more than {half} samples."), nameof(inputShape));
        }

        _frames = ((_samples + (2 * half) - FftLength) / SequenceStride) + 1;
        _bins = half + 1;
        (_taps, _offset) = (Taps, Offset);
        _realRows = DftRows(imaginary: false);
        _imagRows = DftRows(imaginary: true);
        _melWeights = new float[_bins * NumMelBins];
        Spectral.MelWeights(NumMelBins, _bins, SamplingRate, MinFreq, MaxFreq, _melWeights);

        _patchShape = new TensorShape(_frames, _taps);
        _spectrumShape = new TensorShape(_frames, _bins);
        _melShape = new TensorShape(_frames, NumMelBins);
        return new TensorShape(NumMelBins, _frames);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], rows = batch * _frames;
        Tensor patches = BatchView(ref _patches, batch, _patchShape);
        Gather(input.AsReadOnlySpan(), patches.AsSpan(), batch);
        Tensor re = BatchView(ref _re, batch, _spectrumShape), im = BatchView(ref _im, batch, _spectrumShape);
        Gemm.Multiply(false, false, rows, _bins, _taps, 1f, patches.AsReadOnlySpan(), _taps, _realRows, _bins, 0f, re.AsSpan(), _bins);
        Gemm.Multiply(false, false, rows, _bins, _taps, 1f, patches.AsReadOnlySpan(), _taps, _imagRows, _bins, 0f, im.AsSpan(), _bins);

        // Keras: sqrt(re² + im²) ** mag_exp, then a tensordot with the mel matrix.
        Tensor spectrum = BatchView(ref _spectrum, batch, _spectrumShape);
        ReadOnlySpan<float> r = re.AsReadOnlySpan(), i = im.AsReadOnlySpan();
        Span<float> s = spectrum.AsSpan();
        float exponent = (float)MagExp;
        for (int k = 0; k < s.Length; k++)
        {
            float magnitude = MathF.Sqrt((r[k] * r[k]) + (i[k] * i[k]));
            s[k] = exponent == 2f ? magnitude * magnitude : MathF.Pow(magnitude, exponent);
        }

        Tensor mel = BatchView(ref _mel, batch, _melShape);
        Gemm.Multiply(false, false, rows, NumMelBins, _bins, 1f, spectrum.AsReadOnlySpan(), _bins, _melWeights, NumMelBins, 0f, mel.AsSpan(), NumMelBins);

        Tensor output = BatchView(ref _output, batch, OutputShape);
        Span<float> y = output.AsSpan();
        ReadOnlySpan<float> m = mel.AsReadOnlySpan();
        if (PowerToDb)
        {
            _max = float.NegativeInfinity;
            for (int k = 0; k < m.Length; k++)
            {
                _max = MathF.Max(_max, Decibels(m[k]));
            }
        }

        float floor = PowerToDb ? _max - (float)TopDb : 0f;
        for (int b = 0; b < batch; b++)
        {
            for (int o = 0; o < _frames; o++)
            {
                for (int j = 0; j < NumMelBins; j++)
                {
                    float v = m[(((b * _frames) + o) * NumMelBins) + j];
                    y[(((b * NumMelBins) + j) * _frames) + o] = PowerToDb ? MathF.Max(Decibels(v), floor) : v;
                }
            }
        }

        _lastBatch = batch;
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        int batch = outputGradient.Shape[0], rows = batch * _frames;
        if (batch != _lastBatch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size.");
        }

        Tensor inputGradient = BatchView(ref _inputGradient, batch, InputShape);
        if (!ComputesInputGradient)
        {
            return inputGradient;
        }

        Tensor melGradient = BatchView(ref _melGradient, batch, _melShape);
        MelGradient(outputGradient.AsReadOnlySpan(), melGradient.AsSpan(), batch);

        // d|X|^e = e |X|^(e−2) (re dre + im dim); the re gradient overwrites dS in place.
        Tensor reGradient = BatchView(ref _reGradient, batch, _spectrumShape), imGradient = BatchView(ref _imGradient, batch, _spectrumShape);
        Gemm.Multiply(false, true, rows, _bins, NumMelBins, 1f, melGradient.AsReadOnlySpan(), NumMelBins, _melWeights, NumMelBins, 0f, reGradient.AsSpan(), _bins);
        Span<float> dRe = reGradient.AsSpan(), dIm = imGradient.AsSpan();
        ReadOnlySpan<float> r = _re!.AsReadOnlySpan(), i = _im!.AsReadOnlySpan();
        float exponent = (float)MagExp;
        for (int k = 0; k < dRe.Length; k++)
        {
            float power = (r[k] * r[k]) + (i[k] * i[k]);
            float scale = exponent == 2f ? 2f : power > 0f ? exponent * MathF.Pow(MathF.Sqrt(power), exponent - 2f) : 0f;
            float dS = dRe[k] * scale;
            dRe[k] = dS * r[k];
            dIm[k] = dS * i[k];
        }

        Tensor patchGradients = BatchView(ref _patchGradients, batch, _patchShape);
        Gemm.Multiply(false, true, rows, _taps, _bins, 1f, reGradient.AsReadOnlySpan(), _bins, _realRows, _bins, 0f, patchGradients.AsSpan(), _taps);
        Gemm.Multiply(false, true, rows, _taps, _bins, 1f, imGradient.AsReadOnlySpan(), _bins, _imagRows, _bins, 1f, patchGradients.AsSpan(), _taps);
        Scatter(patchGradients.AsReadOnlySpan(), inputGradient.AsSpan(), batch);
        return inputGradient;
    }

    // The windowed DFT rows (taps, bins) for the samples offset .. offset + taps of a frame: a periodic window, no scaling.
    private float[] DftRows(bool imaginary)
    {
        int bins = (FftLength / 2) + 1;
        var window = new double[Taps];
        Spectral.Window(Window, periodic: true, window);
        var rows = new float[Taps * bins];
        Spectral.DftRows(imaginary, window, Offset, FftLength, 1.0, bins, rows);
        return rows;
    }

    private static void Check(double value, string name, bool positive)
    {
        if (!double.IsFinite(value) || (positive && value <= 0))
        {
            throw new ArgumentOutOfRangeException(name, value, $"MelSpectrogram expects a finite{(positive ? " positive" : string.Empty)} {name}. Received: {name}={value.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    // Keras' _dbscale before the clip: 10·log10(max(S, min_power)) − 10·log10(max(|ref_power|, min_power)), in float32.
    private float Decibels(float power)
    {
        float minPower = (float)MinPower;
        return (10f * MathF.Log10(MathF.Max(power, minPower))) - (10f * MathF.Log10(MathF.Max(MathF.Abs((float)RefPower), minPower)));
    }

    // dMel (rows, mel) from dy (batch, mel, frames): the transpose, then the chain rule of the dB scale.
    private void MelGradient(ReadOnlySpan<float> dy, Span<float> dMel, int batch)
    {
        for (int b = 0; b < batch; b++)
        {
            for (int o = 0; o < _frames; o++)
            {
                for (int j = 0; j < NumMelBins; j++)
                {
                    dMel[(((b * _frames) + o) * NumMelBins) + j] = dy[(((b * NumMelBins) + j) * _frames) + o];
                }
            }
        }

        if (!PowerToDb)
        {
            return;
        }

        // maximum(log, max(log) − top_db): where the floor wins, the gradient goes to the floor and on to the maxima of
        // log (TensorFlow's reduce_max shares it equally among ties).
        ReadOnlySpan<float> mel = _mel!.AsReadOnlySpan();
        float floor = _max - (float)TopDb, clipped = 0f;
        int ties = 0;
        for (int k = 0; k < dMel.Length; k++)
        {
            float db = Decibels(mel[k]);
            if (db < floor)
            {
                clipped += dMel[k];
                dMel[k] = 0f;
            }

            ties += db == _max ? 1 : 0;
        }

        float share = clipped / ties;
        float minPower = (float)MinPower;
        for (int k = 0; k < dMel.Length; k++)
        {
            float g = Decibels(mel[k]) == _max ? dMel[k] + share : dMel[k];

            // d 10·log10(x) = 10 / (x ln 10), where max(x, min_power) passes x (x ≥ min_power).
            dMel[k] = mel[k] >= minPower ? g * DbPerLn / mel[k] : 0f;
        }
    }

    // The padded signal's sample p is x[reflect(p − fftLength / 2)] (numpy's "reflect": the edge sample is not repeated).
    private int Source(int padded)
    {
        int t = padded - (FftLength / 2);
        return t < 0 ? -t : t >= _samples ? (2 * (_samples - 1)) - t : t;
    }

    // patches[b·frames + o, j] = padded[b, o·stride + offset + j].
    private void Gather(ReadOnlySpan<float> x, Span<float> patches, int batch)
    {
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> signal = x.Slice(b * _samples, _samples);
            for (int o = 0; o < _frames; o++)
            {
                Span<float> patch = patches.Slice(((b * _frames) + o) * _taps, _taps);
                int start = (o * SequenceStride) + _offset;
                for (int j = 0; j < _taps; j++)
                {
                    patch[j] = signal[Source(start + j)];
                }
            }
        }
    }

    // The reverse of Gather: each tap's gradient is added to the sample it was read from (reflected samples twice).
    private void Scatter(ReadOnlySpan<float> patchGradients, Span<float> dx, int batch)
    {
        dx.Clear();
        for (int b = 0; b < batch; b++)
        {
            Span<float> signal = dx.Slice(b * _samples, _samples);
            for (int o = 0; o < _frames; o++)
            {
                ReadOnlySpan<float> patch = patchGradients.Slice(((b * _frames) + o) * _taps, _taps);
                int start = (o * SequenceStride) + _offset;
                for (int j = 0; j < _taps; j++)
                {
                    signal[Source(start + j)] += patch[j];
                }
            }
        }
    }
}
