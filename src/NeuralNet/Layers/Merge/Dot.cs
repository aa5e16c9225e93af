using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The dot product of two inputs along one axis each, sample by sample (Keras' <c>Dot</c>, a batch dot): for
/// (batch, n) inputs the output is (batch, 1); for (batch, t, d) and (batch, s, d) with <c>axes: 2</c> it is (batch, t, s).
/// With <see cref="Normalize"/>, both inputs are L2-normalized along their dot axis first, so the output is the cosine
/// similarity.
/// </summary>
/// <remarks>
/// As in Keras, the axes count the batch axis (1 is the first axis of a sample, -1 the last) and cannot be 0; the output
/// shape is the first input's shape without its dot axis followed by the second's without its dot axis, or (1) when
/// nothing is left. Normalization divides by <c>max(norm, 1e-7)</c>, Keras' epsilon.
/// </remarks>
public sealed class Dot : MultiInputLayer
{
    private const float Epsilon = 1e-7f;
    private int _m;
    private int _k;
    private int _n;
    private int _axisA;
    private int _axisB;
    private TensorShape _aShape;
    private TensorShape _bShape;
    private TensorShape _aScaleShape;
    private TensorShape _bScaleShape;
    private int[]? _aIndex;
    private int[]? _bIndex;
    private Tensor? _a;
    private Tensor? _b;
    private Tensor? _aScale;
    private Tensor? _bScale;
    private Tensor? _output;
    private Tensor? _da;
    private Tensor? _db;
    private Tensor? _aGradient;
    private Tensor? _bGradient;
    private int _lastBatch = -1;

    /// <summary>Creates a dot product along the same axis of both inputs.</summary>
    /// <param name="axes">The axis, counting the batch axis (negative from the end); not 0.</param>
    /// <param name="normalize">Whether to L2-normalize both inputs along the axis first (cosine similarity).</param>
    /// <param name="name">The layer's name; the model names it <c>dot</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axes"/> is 0.</exception>
    public Dot(int axes, bool normalize = false, string? name = null)
        : this((axes, axes), normalize, name)
    {
    }

    /// <summary>Creates a dot product along one axis of each input.</summary>
    /// <param name="axes">The axis of the first and of the second input, counting the batch axis; neither 0.</param>
    /// <param name="normalize">Whether to L2-normalize both inputs along their axis first (cosine similarity).</param>
    /// <param name="name">The layer's name; the model names it <c>dot</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An axis is 0.</exception>
    public Dot((int First, int Second) axes, bool normalize = false, string? name = null)
        : base(name)
    {
        if (axes.First == 0 || axes.Second == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(axes), axes, "Dot cannot perform a batch dot over axis 0, the batch axis; use axes of the samples (1, 2, ... or -1).");
        }

        Axes = axes;
        Normalize = normalize;
    }

    /// <summary>The dot axes of the two inputs, counting the batch axis.</summary>
    public (int First, int Second) Axes { get; }

    /// <summary>Whether the inputs are L2-normalized along their dot axes first.</summary>
    public bool Normalize { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "dot";

    /// <inheritdoc/>
    protected override int MinimumInputCount => 2;

    /// <inheritdoc/>
    protected override int MaximumInputCount => 2;

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = base.GetConfig();
        return (Axes.First == Axes.Second ? config.Set("axes", Axes.First) : config.Set("axes", [Axes.First, Axes.Second])).Set("normalize", Normalize);
    }

    /// <summary>Keras' <c>from_config</c>: <c>axes</c> is an integer or a pair.</summary>
    internal static Dot FromConfig(Config config)
    {
        bool normalize = config.WithDefaults(new Dot(1).GetConfig()).GetBoolean("normalize");
        string name = config.GetString("name");
        if (config.GetNode("axes") is JsonArray)
        {
            int[] axes = config.GetInt32Array("axes", 2);
            return axes.Length == 2 ? new Dot((axes[0], axes[1]), normalize, name) : throw config.Error("\"axes\" must be an integer or a pair of integers.");
        }

        return new Dot(config.GetInt32("axes"), normalize, name);
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        TensorShape a = inputShapes[0], b = inputShapes[1];
        int ia = SampleAxis(Axes.First, a.Rank), ib = SampleAxis(Axes.Second, b.Rank);
        if (a[ia] != b[ib])
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()}: incompatible input shapes: axis values {a[ia]} (at axis {ia + 1}) != {b[ib]} (at axis {ib + 1}). Full input shapes: {a.ToBatchString()}, {b.ToBatchString()}."), nameof(inputShapes));
        }

        _k = a[ia];
        _m = a.ElementCount / _k;
        _n = b.ElementCount / _k;
        _axisA = ia;
        _axisB = ib;
        _aShape = new TensorShape(_m, _k);
        _bShape = new TensorShape(_k, _n);
        _aScaleShape = new TensorShape(_m);
        _bScaleShape = new TensorShape(_n);
        var output = new List<int>();
        for (int d = 0; d < a.Rank; d++)
        {
            if (d != ia)
            {
                output.Add(a[d]);
            }
        }

        for (int d = 0; d < b.Rank; d++)
        {
            if (d != ib)
            {
                output.Add(b[d]);
            }
        }

        return output.Count == 0 ? new TensorShape(1) : new TensorShape([.. output]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        // Per sample: A (M, K) = first input with its dot axis moved last, B (K, N) = second with its axis moved first.
        int batch = inputs[0].Shape[0];
        int mk = _m * _k, kn = _k * _n, mn = _m * _n;

        // The index maps are as large as a sample, so they are made on the first batch, not when a file is loaded.
        _aIndex ??= MoveAxis(InputShapes[0], _axisA, toFront: false);
        _bIndex ??= MoveAxis(InputShapes[1], _axisB, toFront: true);
        Tensor a = BatchView(ref _a, batch, _aShape);
        Tensor b = BatchView(ref _b, batch, _bShape);
        Gather(inputs[0].AsReadOnlySpan(), _aIndex, a.AsSpan());
        Gather(inputs[1].AsReadOnlySpan(), _bIndex, b.AsSpan());
        if (Normalize)
        {
            Tensor aScale = BatchView(ref _aScale, batch, _aScaleShape);
            Tensor bScale = BatchView(ref _bScale, batch, _bScaleShape);
            for (int s = 0; s < batch; s++)
            {
                NormalizeRows(a.AsSpan().Slice(s * mk, mk), _m, _k, aScale.AsSpan().Slice(s * _m, _m));
                NormalizeColumns(b.AsSpan().Slice(s * kn, kn), _k, _n, bScale.AsSpan().Slice(s * _n, _n));
            }
        }

        Tensor output = BatchView(ref _output, batch, OutputShape);
        for (int s = 0; s < batch; s++)
        {
            Gemm.Multiply(false, false, _m, _n, _k, 1f, a.AsReadOnlySpan().Slice(s * mk, mk), _k, b.AsReadOnlySpan().Slice(s * kn, kn), _n, 0f, output.AsSpan().Slice(s * mn, mn), _n);
        }

        _lastBatch = batch;
        return output;
    }

    /// <inheritdoc/>
    protected override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        int batch = outputGradient.Shape[0];
        if (batch != _lastBatch)
        {
            throw new InvalidOperationException($"{Describe()}: backward needs a forward pass with the same batch size first (last forward batch {_lastBatch}, gradient {outputGradient.Shape}).");
        }

        if (!ComputesInputGradient)
        {
            return;
        }

        // dA = dY · Bᵀ (M, K), dB = Aᵀ · dY (K, N), per sample; then through the normalization and back to the input layouts.
        int mk = _m * _k, kn = _k * _n, mn = _m * _n;
        Tensor da = BatchView(ref _da, batch, _aShape);
        Tensor db = BatchView(ref _db, batch, _bShape);
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        for (int s = 0; s < batch; s++)
        {
            ReadOnlySpan<float> g = dy.Slice(s * mn, mn);
            Gemm.Multiply(false, true, _m, _k, _n, 1f, g, _n, _b!.AsReadOnlySpan().Slice(s * kn, kn), _n, 0f, da.AsSpan().Slice(s * mk, mk), _k);
            Gemm.Multiply(true, false, _k, _n, _m, 1f, _a!.AsReadOnlySpan().Slice(s * mk, mk), _k, g, _n, 0f, db.AsSpan().Slice(s * kn, kn), _n);
            if (Normalize)
            {
                NormalizeRowsBackward(_a.AsReadOnlySpan().Slice(s * mk, mk), _aScale!.AsReadOnlySpan().Slice(s * _m, _m), da.AsSpan().Slice(s * mk, mk), _m, _k);
                NormalizeColumnsBackward(_b.AsReadOnlySpan().Slice(s * kn, kn), _bScale!.AsReadOnlySpan().Slice(s * _n, _n), db.AsSpan().Slice(s * kn, kn), _k, _n);
            }
        }

        Tensor aGradient = BatchView(ref _aGradient, batch, InputShapes[0]);
        Tensor bGradient = BatchView(ref _bGradient, batch, InputShapes[1]);
        Scatter(da.AsReadOnlySpan(), _aIndex!, aGradient.AsSpan());
        Scatter(db.AsReadOnlySpan(), _bIndex!, bGradient.AsSpan());
        inputGradients[0] = aGradient;
        inputGradients[1] = bGradient;
    }

    // Keras' axes count the batch axis: 1..rank-1, or -1..-(rank-1) from the end.
    private int SampleAxis(int axis, int sampleRank)
    {
        int rank = sampleRank + 1;
        int full = axis < 0 ? axis + rank : axis;
        return full >= 1 && full < rank
            ? full - 1
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()}: axis {axis} is not an axis of the samples of inputs of rank {rank} (expected 1 to {rank - 1}, or -1 to -{rank - 1})."), "inputShapes");
    }

    // For each position of the moved layout, the index of that element in the sample: the axis moved last
    // ((M, K), toFront false) or first ((K, N), toFront true), the other axes in order.
    private static int[] MoveAxis(TensorShape shape, int axis, bool toFront)
    {
        int rank = shape.Rank;
        var strides = new int[rank];
        int stride = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= shape[d];
        }

        int k = shape[axis], rest = shape.ElementCount / k;
        var map = new int[shape.ElementCount];
        for (int r = 0; r < rest; r++)
        {
            // r as a row-major multi-index over every axis but 'axis'.
            int offset = 0, remainder = r;
            for (int d = rank - 1; d >= 0; d--)
            {
                if (d == axis)
                {
                    continue;
                }

                offset += remainder % shape[d] * strides[d];
                remainder /= shape[d];
            }

            for (int j = 0; j < k; j++)
            {
                map[toFront ? (j * rest) + r : (r * k) + j] = offset + (j * strides[axis]);
            }
        }

        return map;
    }

    private static void Gather(ReadOnlySpan<float> source, int[] map, Span<float> destination)
    {
        int size = map.Length;
        for (int s = 0; s < destination.Length; s += size)
        {
            ReadOnlySpan<float> sample = source.Slice(s, size);
            Span<float> target = destination.Slice(s, size);
            for (int i = 0; i < size; i++)
            {
                target[i] = sample[map[i]];
            }
        }
    }

    private static void Scatter(ReadOnlySpan<float> source, int[] map, Span<float> destination)
    {
        int size = map.Length;
        for (int s = 0; s < destination.Length; s += size)
        {
            ReadOnlySpan<float> sample = source.Slice(s, size);
            Span<float> target = destination.Slice(s, size);
            for (int i = 0; i < size; i++)
            {
                target[map[i]] = sample[i];
            }
        }
    }

    // Keras' normalize: x * min(1 / ||x||, 1 / epsilon) along the dot axis; the factor is kept for the backward pass.
    private static void NormalizeRows(Span<float> a, int rows, int k, Span<float> scale)
    {
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = a.Slice(r * k, k);
            double sum = 0;
            foreach (float v in row)
            {
                sum += (double)v * v;
            }

            float factor = (float)Math.Min(1.0 / Math.Sqrt(sum), 1.0 / Epsilon);
            scale[r] = factor;
            for (int j = 0; j < k; j++)
            {
                row[j] *= factor;
            }
        }
    }

    private static void NormalizeColumns(Span<float> b, int k, int columns, Span<float> scale)
    {
        for (int c = 0; c < columns; c++)
        {
            double sum = 0;
            for (int j = 0; j < k; j++)
            {
                float v = b[(j * columns) + c];
                sum += (double)v * v;
            }

            float factor = (float)Math.Min(1.0 / Math.Sqrt(sum), 1.0 / Epsilon);
            scale[c] = factor;
            for (int j = 0; j < k; j++)
            {
                b[(j * columns) + c] *= factor;
            }
        }
    }

    // v = x * s with s = 1 / ||x||: dx = s (g - v (v · g)); with s clamped at 1 / epsilon: dx = s g.
    private static void NormalizeRowsBackward(ReadOnlySpan<float> normalized, ReadOnlySpan<float> scale, Span<float> gradient, int rows, int k)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> v = normalized.Slice(r * k, k);
            Span<float> g = gradient.Slice(r * k, k);
            double dot = 0;
            for (int j = 0; j < k; j++)
            {
                dot += (double)v[j] * g[j];
            }

            bool clamped = scale[r] >= 1f / Epsilon;
            for (int j = 0; j < k; j++)
            {
                g[j] = clamped ? g[j] * scale[r] : (float)((g[j] - (v[j] * dot)) * scale[r]);
            }
        }
    }

    private static void NormalizeColumnsBackward(ReadOnlySpan<float> normalized, ReadOnlySpan<float> scale, Span<float> gradient, int k, int columns)
    {
        for (int c = 0; c < columns; c++)
        {
            double dot = 0;
            for (int j = 0; j < k; j++)
            {
                dot += (double)normalized[(j * columns) + c] * gradient[(j * columns) + c];
            }

            bool clamped = scale[c] >= 1f / Epsilon;
            for (int j = 0; j < k; j++)
            {
                int i = (j * columns) + c;
                gradient[i] = clamped ? gradient[i] * scale[c] : (float)((gradient[i] - (normalized[i] * dot)) * scale[c]);
            }
        }
    }
}
