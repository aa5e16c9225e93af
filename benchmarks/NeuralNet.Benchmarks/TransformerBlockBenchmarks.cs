#if !NEURALNET_BASELINE
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using NeuralNet.Activations;
using NeuralNet.Kernels;
using NeuralNet.Layers;

namespace NeuralNet.Benchmarks;

/// <summary>
/// Forward + backward of one transformer encoder block (sequence 50, dimension 64, batch 128): MultiHeadAttention (4 heads,
/// keyDim 16, self-attention), Add, LayerNormalization, Dense(128, gelu), Dense(64), Add, LayerNormalization; the layers
/// are driven directly (as <see cref="ConvBenchmarks"/> does), with every input gradient computed, as for a block inside
/// a stack. <c>GemmBlock</c> runs the same matrix products (shapes, transposes, leading dimensions, per-sample-and-head
/// calls) through <c>Gemm.Multiply</c> alone; the "vs GEMM" column is the block's GFLOPS over that. The sub-part
/// benchmarks (attention, MLP, the norms and adds) show where the time goes. Run:
/// <c>dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- --filter '*TransformerBlock*'</c>.
/// </summary>
[Config(typeof(GflopsConfig<TransformerBlockBenchmarks>))]
[MemoryDiagnoser]
public class TransformerBlockBenchmarks : IGflopsSuite
{
    /// <summary>Batch, sequence, model dimension, heads, key size, MLP width.</summary>
    public const int Batch = 128, Sequence = 50, Dim = 64, Heads = 4, KeyDim = 16, Hidden = 128;

    private const int Rows = Batch * Sequence;

    private MultiHeadAttention _attention = null!;
    private Add _add1 = null!;
    private LayerNormalization _norm1 = null!;
    private Dense _dense1 = null!;
    private Dense _dense2 = null!;
    private Add _add2 = null!;
    private LayerNormalization _norm2 = null!;
    private Tensor _x = null!;
    private Tensor _dy = null!;
    private Tensor _dn1 = null!;
    private Tensor _dx = null!;
    private readonly Tensor?[] _two = new Tensor?[2];
    private readonly Tensor?[] _attentionGradients = new Tensor?[2];
    private GemmOperands _gemm = null!;
    private Tensor _hidden = null!;
    private Tensor _hiddenOut = null!;
    private Tensor _hiddenGradient = null!;

    /// <summary>Products of one forward pass of the attention: four projections, the scores and the context.</summary>
    public static double AttentionForwardFlops => (4 * 2.0 * Rows * Dim * Dim) + (2 * 2.0 * Batch * Heads * Sequence * Sequence * KeyDim);

    /// <summary>Products of one forward pass of the MLP.</summary>
    public static double MlpForwardFlops => 2 * 2.0 * Rows * Dim * Hidden;

    /// <inheritdoc/>
    public static double FlopsOf(string method) => method switch
    {
        nameof(Block) or nameof(GemmBlock) => 3 * (AttentionForwardFlops + MlpForwardFlops),
        nameof(Attention) or nameof(GemmAttention) => 3 * AttentionForwardFlops,
        nameof(Mlp) or nameof(GemmMlp) => 3 * MlpForwardFlops,
        _ => 0,
    };

    /// <inheritdoc/>
    public static string? GemmBaselineOf(string method) => method switch
    {
        nameof(Block) => nameof(GemmBlock),
        nameof(Attention) => nameof(GemmAttention),
        nameof(Mlp) => nameof(GemmMlp),
        _ => null,
    };

    [GlobalSetup]
    public void Setup()
    {
        var shape = new TensorShape(Sequence, Dim);
        _attention = new MultiHeadAttention(Heads, KeyDim);
        _attention.Build(shape, shape);
        _add1 = new Add();
        _add1.Build(shape, shape);
        _norm1 = new LayerNormalization();
        _norm1.Build(shape);
        _dense1 = new Dense(Hidden, ActivationFunction.Gelu);
        _dense1.Build(shape);
        _dense2 = new Dense(Dim);
        _dense2.Build(new TensorShape(Sequence, Hidden));
        _add2 = new Add();
        _add2.Build(shape, shape);
        _norm2 = new LayerNormalization();
        _norm2.Build(shape);
        _x = Tensor.RandomNormal(new TensorShape(Batch, Sequence, Dim), 1);
        _dy = Tensor.RandomNormal(new TensorShape(Batch, Sequence, Dim), 2, 0f, 0.01f);
        _dn1 = new Tensor(Batch, Sequence, Dim);
        _dx = new Tensor(Batch, Sequence, Dim);
        _gemm = new GemmOperands();
        _hidden = Tensor.RandomNormal(new TensorShape(Rows, Hidden), 3);
        _hiddenOut = new Tensor(Rows, Hidden);
        _hiddenGradient = new Tensor(Rows, Hidden);
        for (int i = 0; i < 3; i++)
        {
            Block();
        }

        Console.WriteLine($"// Gemm kernel: {Gemm.KernelName}; threads {Parallelism.MaxDegreeOfParallelism}");
    }

    /// <summary>The whole block, forward and backward.</summary>
    [Benchmark]
    public Tensor Block()
    {
        Tensor a = _attention.Forward([_x, _x], training: true);
        Tensor n1 = _norm1.Forward(_add1.Forward([_x, a], training: true), training: true);
        Tensor m = _dense2.Forward(_dense1.Forward(n1, training: true), training: true);
        _norm2.Forward(_add2.Forward([n1, m], training: true), training: true);

        _add2.Backward(_norm2.Backward(_dy), _two);
        Tensor dn1Skip = _two[0]!;
        Tensor dn1Mlp = _dense1.Backward(_dense2.Backward(_two[1]!));
        TensorPrimitives.Add(dn1Skip.AsReadOnlySpan(), dn1Mlp.AsReadOnlySpan(), _dn1.AsSpan());
        _add1.Backward(_norm1.Backward(_dn1), _two);
        Tensor dxSkip = _two[0]!;
        _attention.Backward(_two[1]!, _attentionGradients);
        TensorPrimitives.Add(dxSkip.AsReadOnlySpan(), _attentionGradients[0]!.AsReadOnlySpan(), _dx.AsSpan());
        TensorPrimitives.Add(_dx.AsReadOnlySpan(), _attentionGradients[1]!.AsReadOnlySpan(), _dx.AsSpan());
        return _dx;
    }

    /// <summary>
    /// Stopwatch split of <paramref name="steps"/> block steps, stage by stage inside each step, medians printed in ms:
    /// <c>dotnet run -c Release --project benchmarks/NeuralNet.Benchmarks -- block-split 40</c>.
    /// </summary>
    public static void Split(int steps)
    {
        var suite = new TransformerBlockBenchmarks();
        suite.Setup();
        string[] names =
        [
            "attention forward", "add + layer norm 1 forward", "dense 128 gelu forward", "dense 64 forward", "add + layer norm 2 forward",
            "layer norm 2 + add backward", "dense 64 backward", "dense 128 gelu backward", "gradient sum", "layer norm 1 + add backward",
            "attention backward", "gradient sums", "whole step",
        ];
        var times = new double[names.Length][];
        for (int i = 0; i < names.Length; i++)
        {
            times[i] = new double[steps];
        }

        var stamps = new long[names.Length];
        for (int step = 0; step < steps; step++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            int stage = 0;
            Tensor a = suite._attention.Forward([suite._x, suite._x], training: true);
            stamps[stage++] = System.Diagnostics.Stopwatch.GetTimestamp();
            Tensor n1 = suite._norm1.Forward(suite._add1.Forward([suite._x, a], training: true), training: true);
            stamps[stage++] = System.Diagnostics.Stopwatch.GetTimestamp();
            Tensor h = suite._dense1.Forward(n1, training: true);
            stamps[stage++] = System.Diagnostics.Stopwatch.GetTimestamp();
            Tensor m = suite._dense2.Forward(h, training: true);
            stamps[stage++] = System.Diagnostics.Stopwatch.GetTimestamp();
            suite._norm2.Forward(suite._add2.Forward([n1, m], training: true), training: true);
            stamps[stage++] = System.Diagnostics.Stopwatch.GetTimestamp();
            suite._add2.Backward(suite._norm2.Backward(suite._dy), suite._two);
            stamps[stage++] = System.Diagnostics.Stopwatch.GetTimestamp();
            Tensor dn1Skip = suite._two[0]!;
            Tensor dh = suite._dense2.Backward(suite._two[1]!);
            stamps[stage++] = System.Diagnostics.Stopwatch.GetTimestamp();
            Tensor dn1Mlp = suite._dense1.Backward(dh);
            stamps[stage++] = System.Diagnostics.Stopwatch.GetTimestamp();
            TensorPrimitives.Add(dn1Skip.AsReadOnlySpan(), dn1Mlp.AsReadOnlySpan(), suite._dn1.AsSpan());
            stamps[stage++] = System.Diagnostics.Stopwatch.GetTimestamp();
            suite._add1.Backward(suite._norm1.Backward(suite._dn1), suite._two);
            stamps[stage++] = System.Diagnostics.Stopwatch.GetTimestamp();
            Tensor dxSkip = suite._two[0]!;
            suite._attention.Backward(suite._two[1]!, suite._attentionGradients);
            stamps[stage++] = System.Diagnostics.Stopwatch.GetTimestamp();
            TensorPrimitives.Add(dxSkip.AsReadOnlySpan(), suite._attentionGradients[0]!.AsReadOnlySpan(), suite._dx.AsSpan());
            TensorPrimitives.Add(suite._dx.AsReadOnlySpan(), suite._attentionGradients[1]!.AsReadOnlySpan(), suite._dx.AsSpan());
            stamps[stage++] = System.Diagnostics.Stopwatch.GetTimestamp();
            long previous = start;
            for (int i = 0; i < stage; i++)
            {
                times[i][step] = System.Diagnostics.Stopwatch.GetElapsedTime(previous, stamps[i]).TotalMilliseconds;
                previous = stamps[i];
            }

            times[stage][step] = System.Diagnostics.Stopwatch.GetElapsedTime(start, previous).TotalMilliseconds;
        }

        for (int i = 0; i < names.Length; i++)
        {
            Array.Sort(times[i]);
            Console.WriteLine($"{names[i],-30} median {times[i][steps / 2],8:F2} ms   min {times[i][0],8:F2} ms");
        }
    }

    /// <summary>The attention alone, forward and backward (the block's input as its output gradient).</summary>
    [Benchmark]
    public Tensor Attention()
    {
        _attention.Forward([_x, _x], training: true);
        _attention.Backward(_dy, _attentionGradients);
        return _attentionGradients[0]!;
    }

    /// <summary>The two Dense layers alone, forward and backward.</summary>
    [Benchmark]
    public Tensor Mlp()
    {
        _dense2.Forward(_dense1.Forward(_x, training: true), training: true);
        return _dense1.Backward(_dense2.Backward(_dy));
    }

    /// <summary>The two Adds and LayerNormalizations alone, forward and backward, and the gradient sums.</summary>
    [Benchmark]
    public Tensor NormsAndAdds()
    {
        Tensor n1 = _norm1.Forward(_add1.Forward([_x, _x], training: true), training: true);
        _norm2.Forward(_add2.Forward([n1, _x], training: true), training: true);
        _add2.Backward(_norm2.Backward(_dy), _two);
        TensorPrimitives.Add(_two[0]!.AsReadOnlySpan(), _two[1]!.AsReadOnlySpan(), _dn1.AsSpan());
        _add1.Backward(_norm1.Backward(_dn1), _two);
        TensorPrimitives.Add(_two[0]!.AsReadOnlySpan(), _two[1]!.AsReadOnlySpan(), _dx.AsSpan());
        TensorPrimitives.Add(_dx.AsReadOnlySpan(), _two[1]!.AsReadOnlySpan(), _dx.AsSpan());
        return _dx;
    }

    /// <summary>The MLP's GELU alone (exact, Keras' default), forward and backward over its (6,400 x 128) pre-activations.</summary>
    [Benchmark]
    public float GeluActivation()
    {
        ActivationFunction.Gelu.Forward(_hidden.AsReadOnlySpan(), _hiddenOut.AsSpan(), Hidden);
        ActivationFunction.Gelu.Backward(_hidden.AsReadOnlySpan(), _hiddenOut.AsReadOnlySpan(), _hiddenOut.AsReadOnlySpan(), _hiddenGradient.AsSpan(), Hidden);
        return _hiddenGradient[0, 0];
    }

    /// <summary>The block's matrix products through <c>Gemm.Multiply</c> alone.</summary>
    [Benchmark]
    public void GemmBlock()
    {
        _gemm.Attention();
        _gemm.Mlp();
    }

    /// <summary>The attention's matrix products alone.</summary>
    [Benchmark]
    public void GemmAttention() => _gemm.Attention();

    /// <summary>The MLP's matrix products alone.</summary>
    [Benchmark]
    public void GemmMlp() => _gemm.Mlp();

    // Operands laid out as the layers lay them out: rows (B*T) x features, the heads side by side in the projections'
    // columns, per-(sample, head) scores (T, T) contiguous.
    private sealed class GemmOperands
    {
        private const int Width = Heads * KeyDim;
        private const int TT = Sequence * Sequence;
        private readonly float[] _x = Filled(Rows * Dim, 1);
        private readonly float[] _w = Filled(Dim * Dim, 2);
        private readonly float[] _q = Filled(Rows * Width, 3);
        private readonly float[] _k = Filled(Rows * Width, 4);
        private readonly float[] _v = Filled(Rows * Width, 5);
        private readonly float[] _p = Filled(Batch * Heads * TT, 6);
        private readonly float[] _ctx = Filled(Rows * Width, 7);
        private readonly float[] _out = new float[Rows * Dim];
        private readonly float[] _dw = new float[Hidden * Dim];
        private readonly float[] _w1 = Filled(Dim * Hidden, 8);
        private readonly float[] _w2 = Filled(Hidden * Dim, 9);
        private readonly float[] _h = Filled(Rows * Hidden, 10);
        private readonly float[] _dh = new float[Rows * Hidden];

        public void Attention()
        {
            // Forward: Q, K, V projections; per sample and head the scores q·kᵀ and the context p·v; the output projection.
            Project(_x, _q);
            Project(_x, _k);
            Project(_x, _v);
            PerHead(static (q, k, v, p, o, b, h) =>
            {
                Gemm.Multiply(false, true, Sequence, Sequence, KeyDim, 0.25f, q.AsSpan(Head(b, h)), Width, k.AsSpan(Head(b, h)), Width, 0f, p.AsSpan(Scores(b, h), TT), Sequence);
                Gemm.Multiply(false, false, Sequence, KeyDim, Sequence, 1f, p.AsSpan(Scores(b, h), TT), Sequence, v.AsSpan(Head(b, h)), Width, 0f, o.AsSpan(Head(b, h)), Width);
            });
            Project(_ctx, _out);

            // Backward: the output projection (weight and input gradients); per sample and head dp, dv, dq, dk; the
            // three input projections (weight and input gradients).
            ProjectBackward(_ctx, _out, _ctx);
            PerHead(static (q, k, v, p, o, b, h) =>
            {
                Gemm.Multiply(false, true, Sequence, Sequence, KeyDim, 1f, o.AsSpan(Head(b, h)), Width, v.AsSpan(Head(b, h)), Width, 0f, p.AsSpan(Scores(b, h), TT), Sequence);
                Gemm.Multiply(true, false, Sequence, KeyDim, Sequence, 1f, p.AsSpan(Scores(b, h), TT), Sequence, o.AsSpan(Head(b, h)), Width, 0f, v.AsSpan(Head(b, h)), Width);
                Gemm.Multiply(false, false, Sequence, KeyDim, Sequence, 0.25f, p.AsSpan(Scores(b, h), TT), Sequence, k.AsSpan(Head(b, h)), Width, 0f, o.AsSpan(Head(b, h)), Width);
                Gemm.Multiply(true, false, Sequence, KeyDim, Sequence, 0.25f, p.AsSpan(Scores(b, h), TT), Sequence, q.AsSpan(Head(b, h)), Width, 0f, k.AsSpan(Head(b, h)), Width);
            });
            ProjectBackward(_x, _q, _out);
            ProjectBackward(_x, _v, _out);
            ProjectBackward(_x, _k, _out);
        }

        public void Mlp()
        {
            Gemm.Multiply(false, false, Rows, Hidden, Dim, 1f, _x, Dim, _w1, Hidden, 0f, _h, Hidden);
            Gemm.Multiply(false, false, Rows, Dim, Hidden, 1f, _h, Hidden, _w2, Dim, 0f, _out, Dim);
            Gemm.Multiply(true, false, Hidden, Dim, Rows, 1f, _h, Hidden, _out, Dim, 1f, _dw, Dim);
            Gemm.Multiply(false, true, Rows, Hidden, Dim, 1f, _out, Dim, _w2, Dim, 0f, _dh, Hidden);
            Gemm.Multiply(true, false, Dim, Hidden, Rows, 1f, _x, Dim, _dh, Hidden, 1f, _dw, Hidden);
            Gemm.Multiply(false, true, Rows, Dim, Hidden, 1f, _dh, Hidden, _w1, Hidden, 0f, _x, Dim);
        }

        private static int Head(int b, int h) => (b * Sequence * Width) + (h * KeyDim);

        private static int Scores(int b, int h) => ((b * Heads) + h) * TT;

        private static float[] Filled(int length, int seed)
        {
            var random = new Random(seed);
            var values = new float[length];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)((random.NextDouble() * 2) - 1) * 0.1f;
            }

            return values;
        }

        private void Project(float[] x, float[] y) => Gemm.Multiply(false, false, Rows, Dim, Dim, 1f, x, Dim, _w, Dim, 0f, y, Dim);

        // dW (64 x 64) += xᵀ·dy, dx = dy·Wᵀ.
        private void ProjectBackward(float[] x, float[] dy, float[] dx)
        {
            Gemm.Multiply(true, false, Dim, Dim, Rows, 1f, x, Dim, dy, Dim, 1f, _dw, Dim);
            Gemm.Multiply(false, true, Rows, Dim, Dim, 1f, dy, Dim, _w, Dim, 0f, dx, Dim);
        }

        private void PerHead(Action<float[], float[], float[], float[], float[], int, int> products)
        {
            for (int b = 0; b < Batch; b++)
            {
                for (int h = 0; h < Heads; h++)
                {
                    products(_q, _k, _v, _p, _ctx, b, h);
                }
            }
        }
    }
}
#endif
