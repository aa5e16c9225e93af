using NeuralNet.Serialization;

namespace NeuralNet.Optimizers;

/// <summary>
/// Keras' <c>Adafactor</c> (Shazeer and Stern, 2018, "Adafactor: adaptive learning rates with sublinear memory cost"):
/// an Adam-like step without momentum whose second moment is kept, for a parameter of two axes or more, as one row
/// average and one column average over its last two axes, and whose step is relative to the parameter's own size.
/// Made for large embedding and attention matrices, whose optimizer state it shrinks.
/// </summary>
/// <remarks>
/// <para>At step t (<c>keras/src/optimizers/adafactor.py</c>, <c>update_step</c>): <c>ρ = min(lr, 1/√t)</c>,
/// <c>α = max(ε2, rms(w))·ρ</c>, <c>β = 1 − t^beta2Decay</c>, <c>G = g² + ε1</c>. For a parameter of shape
/// (..., m, n): <c>r = β·r + (1 − β)·mean(G, last axis)</c> (shape (..., m)), <c>c = β·c + (1 − β)·mean(G, axis −2)</c>
/// (shape (..., n)) and <c>v = (r / mean(r, last axis))[..., :, None]·c[..., None, :]</c>; for one of fewer axes
/// <c>v = β·v + (1 − β)·G</c>. Then <c>u = g / √v</c>, <c>û = u / max(1, rms(u) / clipThreshold)</c> with rms over the
/// whole tensor, and <c>w −= α·û</c>.</para>
/// <para>State per parameter: <c>r</c>, <c>c</c> (the factored moments; scalar placeholders kept at 0 for a parameter
/// of fewer than two axes, as Keras makes them) and <c>velocity</c> (v, the parameter's shape, as Keras keeps it). The
/// rms and the averages are summed in float64; the element arithmetic is float32, as Keras' on float32 variables.</para>
/// <para><see cref="RelativeStep"/> is kept for Keras' configuration: in Keras 3 it changes nothing, since ρ takes the
/// minimum with 1/√t whatever its value.</para>
/// </remarks>
public sealed class Adafactor : Optimizer
{
    private static readonly string[] s_slots = ["r", "c", "velocity"];
    private float _rho;
    private float _beta;

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The largest relative step; the step at t is <c>min(learningRate, 1/√t)</c> times the
    /// parameter's rms (at least <paramref name="epsilon2"/>). Non-negative and finite.</param>
    /// <param name="beta2Decay">The exponent of the second moment's decay, <c>β_t = 1 − t^beta2Decay</c>; at most 0
    /// (a positive one would make β negative), finite.</param>
    /// <param name="epsilon1">Added to every squared gradient, so the second moment never reaches 0; non-negative.</param>
    /// <param name="epsilon2">The smallest parameter rms the step is relative to, so parameters at 0 can move; non-negative.</param>
    /// <param name="clipThreshold">The largest rms of the normalised update before it is scaled down; positive.</param>
    /// <param name="relativeStep">Keras' <c>relative_step</c>; see the remarks.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range (the message names it).</exception>
    public Adafactor(double learningRate = 0.001, double beta2Decay = -0.8, double epsilon1 = 1e-30, double epsilon2 = 1e-3, double clipThreshold = 1, bool relativeStep = true)
        : base(learningRate)
    {
        if (!((float)beta2Decay <= 0f) || float.IsInfinity((float)beta2Decay))
        {
            throw new ArgumentOutOfRangeException(nameof(beta2Decay), beta2Decay, $"beta2Decay must be a finite number at most 0 (the second moment's decay is 1 - t^beta2Decay). Received: beta2Decay={Float32Hyperparameter.Format(beta2Decay)}.");
        }

        // Checked as float32, the value used: 1e-50 would be 0.
        float threshold = Float32Hyperparameter.IsPositive(clipThreshold, out float positive) ? positive
            : throw new ArgumentOutOfRangeException(nameof(clipThreshold), clipThreshold, $"clipThreshold must be a positive finite number (as float32). Received: clipThreshold={Float32Hyperparameter.Format(clipThreshold)}.");

        Beta2Decay = (float)beta2Decay;
        Epsilon1 = ValidateNonNegative(epsilon1, nameof(epsilon1));
        Epsilon2 = ValidateNonNegative(epsilon2, nameof(epsilon2));
        ClipThreshold = threshold;
        RelativeStep = relativeStep;
    }

    /// <inheritdoc/>
    public override string Name => "adafactor";

    /// <summary>The exponent of the second moment's decay (Keras <c>beta_2_decay</c>), as float32 (the value given, rounded to float32).</summary>
    public float Beta2Decay { get; }

    /// <summary>The offset added to every squared gradient (Keras <c>epsilon_1</c>), as float32 (the value given, rounded to float32).</summary>
    public float Epsilon1 { get; }

    /// <summary>The smallest parameter rms the step is relative to (Keras <c>epsilon_2</c>), as float32 (the value given, rounded to float32).</summary>
    public float Epsilon2 { get; }

    /// <summary>The largest rms of the normalised update (Keras <c>clip_threshold</c>), as float32 (the value given, rounded to float32).</summary>
    public float ClipThreshold { get; }

    /// <summary>Keras' <c>relative_step</c>, saved with the configuration; it does not change the update (see the remarks).</summary>
    public bool RelativeStep { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => s_slots;

    /// <inheritdoc/>
    private protected override TensorShape SlotShape(int slot, Parameter parameter) =>
        slot == 2 ? parameter.Shape
        : parameter.Shape.Rank < 2 ? default
        : FactoredShape(parameter.Shape, slot == 0 ? parameter.Shape.Rank - 1 : parameter.Shape.Rank - 2);

    /// <inheritdoc/>
    private protected override void BeginUpdates(long step, float learningRate)
    {
        // Keras, in float32: local_step = iterations + 1; rho_t = min(lr, 1 / sqrt(local_step));
        // beta_2_t = 1 - local_step ** beta_2_decay.
        float t = step;
        _rho = MathF.Min(learningRate, 1f / MathF.Sqrt(t));
        _beta = 1f - MathF.Pow(t, Beta2Decay);
    }

    /// <summary>The update of a parameter of fewer than two axes (and of the velocity alone): <c>v = β·v + (1 − β)·G</c>.</summary>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step)
    {
        float alpha = StepSize(values);
        Span<float> v = slots[2].AsSpan();
        float beta = _beta, oneMinusBeta = 1f - _beta, epsilon1 = Epsilon1;
        for (int i = 0; i < v.Length; i++)
        {
            float g = gradient[i];
            v[i] = (beta * v[i]) + (oneMinusBeta * ((g * g) + epsilon1));
        }

        Apply(values, gradient, v, alpha);
    }

    /// <inheritdoc/>
    private protected override void UpdateParameter(TensorShape shape, Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step)
    {
        if (shape.Rank < 2 || values.IsEmpty)
        {
            Update(values, gradient, slots, step);
            return;
        }

        float alpha = StepSize(values);
        int rows = shape[shape.Rank - 2], columns = shape[shape.Rank - 1], matrix = rows * columns;
        Span<float> r = slots[0].AsSpan(), c = slots[1].AsSpan(), v = slots[2].AsSpan();
        for (int b = 0; b < values.Length / matrix; b++)
        {
            FactorMatrix(gradient.Slice(b * matrix, matrix), r.Slice(b * rows, rows), c.Slice(b * columns, columns), v.Slice(b * matrix, matrix));
        }

        Apply(values, gradient, v, alpha);
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("beta_2_decay", Beta2Decay).Set("epsilon_1", Epsilon1).Set("epsilon_2", Epsilon2)
        .Set("clip_threshold", ClipThreshold).Set("relative_step", RelativeStep);

    // Keras' r and c: the parameter's shape without one of its last two axes.
    private static TensorShape FactoredShape(TensorShape shape, int dropped)
    {
        Span<int> dims = stackalloc int[shape.Rank - 1];
        for (int axis = 0, d = 0; axis < shape.Rank; axis++)
        {
            if (axis != dropped)
            {
                dims[d++] = shape[axis];
            }
        }

        return new TensorShape(dims);
    }

    // One (rows x columns) matrix of the parameter: its row and column averages of G, then v from them.
    private void FactorMatrix(ReadOnlySpan<float> gradient, Span<float> r, Span<float> c, Span<float> v)
    {
        int rows = r.Length, columns = c.Length;
        float beta = _beta, oneMinusBeta = 1f - _beta, epsilon1 = Epsilon1;
        double rowSum = 0;
        for (int i = 0; i < rows; i++)
        {
            double sum = 0;
            for (int j = 0; j < columns; j++)
            {
                float g = gradient[(i * columns) + j];
                sum += (g * g) + epsilon1;
            }

            r[i] = (beta * r[i]) + (oneMinusBeta * (float)(sum / columns));
            rowSum += r[i];
        }

        for (int j = 0; j < columns; j++)
        {
            double sum = 0;
            for (int i = 0; i < rows; i++)
            {
                float g = gradient[(i * columns) + j];
                sum += (g * g) + epsilon1;
            }

            c[j] = (beta * c[j]) + (oneMinusBeta * (float)(sum / rows));
        }

        float rowMean = (float)(rowSum / rows);
        for (int i = 0; i < rows; i++)
        {
            float rowFactor = r[i] / rowMean;
            Span<float> vRow = v.Slice(i * columns, columns);
            for (int j = 0; j < columns; j++)
            {
                vRow[j] = rowFactor * c[j];
            }
        }
    }

    // α = max(ε2, rms(w))·ρ, from the values before this step's update (after weight decay, as Keras applies it first).
    private float StepSize(ReadOnlySpan<float> values) => MathF.Max(Epsilon2, RootMeanSquare(values)) * _rho;

    // u = g / √v, û = u / max(1, rms(u) / clipThreshold), w −= α·û. u is computed twice rather than kept, so that the step
    // needs no buffer.
    private void Apply(Span<float> values, ReadOnlySpan<float> gradient, ReadOnlySpan<float> v, float alpha)
    {
        double squares = 0;
        for (int i = 0; i < values.Length; i++)
        {
            float u = gradient[i] / MathF.Sqrt(v[i]);
            squares += u * (double)u;
        }

        float rms = values.Length == 0 ? 0f : (float)Math.Sqrt(squares / values.Length);
        float scale = MathF.Max(1f, rms / ClipThreshold);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] -= alpha * (gradient[i] / MathF.Sqrt(v[i]) / scale);
        }
    }

    private static float RootMeanSquare(ReadOnlySpan<float> values)
    {
        double squares = 0;
        for (int i = 0; i < values.Length; i++)
        {
            squares += values[i] * (double)values[i];
        }

        return values.Length == 0 ? 0f : (float)Math.Sqrt(squares / values.Length);
    }
}
