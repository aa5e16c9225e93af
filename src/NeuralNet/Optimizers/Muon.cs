using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Optimizers;

/// <summary>
/// Keras' <c>Muon</c> (Jordan et al., 2024; Liu et al., 2025, "Muon is scalable for LLM training"): momentum SGD whose
/// step for a matrix is the momentum orthogonalised by a Newton-Schulz iteration, and AdamW for every other parameter.
/// Made for the hidden matrices of large models; leave embeddings and the output layer to AdamW
/// (<see cref="ExcludeEmbeddings"/>, <see cref="ExcludeLayers"/>).
/// </summary>
/// <remarks>
/// <para>The rule (<c>keras/src/optimizers/muon.py</c>): a parameter of two axes whose path (<c>layer/parameter</c>, as
/// Keras' <c>variable.path</c>) contains no "embedding" (with <see cref="ExcludeEmbeddings"/>, case-insensitive) and
/// matches none of <see cref="ExcludeLayers"/> takes Muon's step: <c>m = m + g + m·(momentum − 1)</c>, the direction
/// <c>d = g + momentum·m</c> (Nesterov) or <c>m</c>, then <c>w −= lr·NS(d)·√max(rows, columns)·rmsRate</c>, NS being
/// Keras' quintic Newton-Schulz iteration (<see cref="NsSteps"/> steps, coefficients <see cref="MuonA"/>,
/// <see cref="MuonB"/>, <see cref="MuonC"/>). Every other parameter takes AdamW's step at
/// <c>lr·adamLearningRateRatio</c>: <c>m += (g − m)(1 − β1)</c>, <c>v += (g² − v)(1 − β2)</c>,
/// <c>w −= m·α / (√v + ε)</c> with <c>α = lr'·√(1 − β2^t) / (1 − β1^t)</c>. Weight decay comes first, as Keras applies
/// it: <see cref="Optimizer.WeightDecay"/> for Muon's parameters, <see cref="AdamWeightDecay"/> for AdamW's, both at the
/// learning rate (not the ratio), and <see cref="Optimizer.WeightDecayExclusions"/> for both.</para>
/// <para>State per parameter: <c>momentum</c>, and <c>velocity</c> for AdamW's parameters; a Muon parameter's
/// <c>velocity</c> is a scalar placeholder kept at 0 (Keras makes none). Without a model (<see cref="Optimizer.Step"/>
/// called directly) a parameter's path is its own name.</para>
/// </remarks>
public sealed class Muon : Optimizer
{
    private static readonly string[] s_slots = ["momentum", "velocity"];
    private readonly string[] _excludeLayers;
    private readonly Regex? _excludePattern;
    private float[] _direction = [];
    private float[] _update = [];
    private float[] _scratch = [];
    private float _adamAlpha;

    /// <summary>Creates the optimizer with Keras' defaults.</summary>
    /// <param name="learningRate">The step size; non-negative and finite.</param>
    /// <param name="adamBeta1">AdamW's first-moment decay, in [0, 1).</param>
    /// <param name="adamBeta2">AdamW's second-moment decay, in [0, 1).</param>
    /// <param name="adamWeightDecay">The weight decay of the parameters AdamW steps; null for none, otherwise non-negative.</param>
    /// <param name="epsilon">AdamW's stabilizer; non-negative.</param>
    /// <param name="excludeLayers">Regular expressions searched in each parameter's path (<c>layer/parameter</c>); a
    /// parameter that matches one is stepped by AdamW. Typically the output layer's name.</param>
    /// <param name="excludeEmbeddings">Whether parameters whose path contains "embedding" are stepped by AdamW.</param>
    /// <param name="muonA">The Newton-Schulz iteration's a; finite.</param>
    /// <param name="muonB">The Newton-Schulz iteration's b; finite.</param>
    /// <param name="muonC">The Newton-Schulz iteration's c; finite.</param>
    /// <param name="adamLearningRateRatio">AdamW's learning rate relative to <paramref name="learningRate"/>; non-negative.</param>
    /// <param name="momentum">The momentum of Muon's SGD, in [0, 1].</param>
    /// <param name="nsSteps">The number of Newton-Schulz iterations, at least 0.</param>
    /// <param name="nesterov">Whether Muon's direction is Nesterov's (<c>g + momentum·m</c>) rather than <c>m</c>.</param>
    /// <param name="rmsRate">Moonlight's scale: Muon's step is multiplied by <c>√max(rows, columns)·rmsRate</c> so it can use
    /// AdamW's learning rate and weight decay; null for none, otherwise non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range (the message names it).</exception>
    /// <exception cref="ArgumentException">An entry of <paramref name="excludeLayers"/> is null or not a valid regular expression.</exception>
    public Muon(
        double learningRate = 0.001,
        double adamBeta1 = 0.9,
        double adamBeta2 = 0.999,
        double? adamWeightDecay = 0.004,
        double epsilon = 1e-7,
        IReadOnlyList<string>? excludeLayers = null,
        bool excludeEmbeddings = true,
        double muonA = 3.4445,
        double muonB = -4.7750,
        double muonC = 2.0315,
        double adamLearningRateRatio = 1,
        double momentum = 0.95,
        int nsSteps = 5,
        bool nesterov = true,
        double? rmsRate = 0.2)
        : base(learningRate)
    {
        AdamBeta1 = ValidateUnitInterval(adamBeta1, nameof(adamBeta1), inclusiveOne: false);
        AdamBeta2 = ValidateUnitInterval(adamBeta2, nameof(adamBeta2), inclusiveOne: false);
        AdamWeightDecay = adamWeightDecay is double decay ? ValidateNonNegative(decay, nameof(adamWeightDecay)) : null;
        Epsilon = ValidateNonNegative(epsilon, nameof(epsilon));
        MuonA = ValidateFinite(muonA, nameof(muonA));
        MuonB = ValidateFinite(muonB, nameof(muonB));
        MuonC = ValidateFinite(muonC, nameof(muonC));
        AdamLearningRateRatio = ValidateNonNegative(adamLearningRateRatio, nameof(adamLearningRateRatio));
        Momentum = ValidateUnitInterval(momentum, nameof(momentum), inclusiveOne: true);
        ArgumentOutOfRangeException.ThrowIfNegative(nsSteps);
        NsSteps = nsSteps;
        Nesterov = nesterov;
        RmsRate = rmsRate is double rate ? ValidateNonNegative(rate, nameof(rmsRate)) : null;
        ExcludeEmbeddings = excludeEmbeddings;
        (_excludeLayers, _excludePattern) = ExcludePattern(excludeLayers ?? []);
        OneMinusBeta1 = (float)(1.0 - AsWritten(adamBeta1));
        OneMinusBeta2 = (float)(1.0 - AsWritten(adamBeta2));

        // Keras: m · (self.momentum − 1), the difference taken in float64 on the value as written.
        MomentumMinusOne = (float)(AsWritten(momentum) - 1.0);
        SetDefaultWeightDecay(0.004);
    }

    /// <inheritdoc/>
    public override string Name => "muon";

    /// <summary>AdamW's first-moment decay (Keras <c>adam_beta_1</c>), as float32 (the value given, rounded to float32).</summary>
    public float AdamBeta1 { get; }

    /// <summary>AdamW's second-moment decay (Keras <c>adam_beta_2</c>), as float32 (the value given, rounded to float32).</summary>
    public float AdamBeta2 { get; }

    /// <summary>The weight decay of the parameters AdamW steps (Keras <c>adam_weight_decay</c>); null for none, as float32 (the value given, rounded to float32).</summary>
    public float? AdamWeightDecay { get; }

    /// <summary>AdamW's stabilizer (Keras <c>epsilon</c>), as float32 (the value given, rounded to float32).</summary>
    public float Epsilon { get; }

    /// <summary>The regular expressions whose match in a parameter's path sends it to AdamW (Keras <c>exclude_layers</c>).</summary>
    public IReadOnlyList<string> ExcludeLayers => _excludeLayers;

    /// <summary>Whether parameters whose path contains "embedding" are stepped by AdamW (Keras <c>exclude_embeddings</c>).</summary>
    public bool ExcludeEmbeddings { get; }

    /// <summary>The Newton-Schulz iteration's a (Keras <c>muon_a</c>), as float32 (the value given, rounded to float32).</summary>
    public float MuonA { get; }

    /// <summary>The Newton-Schulz iteration's b (Keras <c>muon_b</c>), as float32 (the value given, rounded to float32).</summary>
    public float MuonB { get; }

    /// <summary>The Newton-Schulz iteration's c (Keras <c>muon_c</c>), as float32 (the value given, rounded to float32).</summary>
    public float MuonC { get; }

    /// <summary>AdamW's learning rate relative to the learning rate (Keras <c>adam_lr_ratio</c>), as float32 (the value given, rounded to float32).</summary>
    public float AdamLearningRateRatio { get; }

    /// <summary>The momentum of Muon's SGD (Keras <c>momentum</c>), as float32 (the value given, rounded to float32).</summary>
    public float Momentum { get; }

    /// <summary>The number of Newton-Schulz iterations (Keras <c>ns_steps</c>).</summary>
    public int NsSteps { get; }

    /// <summary>Whether Muon's direction is Nesterov's (Keras <c>nesterov</c>).</summary>
    public bool Nesterov { get; }

    /// <summary>Moonlight's scale of Muon's step (Keras <c>rms_rate</c>); null for none, as float32 (the value given, rounded to float32).</summary>
    public float? RmsRate { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> SlotNames => s_slots;

    private float OneMinusBeta1 { get; }

    private float OneMinusBeta2 { get; }

    private float MomentumMinusOne { get; }

    /// <summary>Whether <paramref name="parameter"/> is stepped by AdamW rather than Muon (Keras' <c>_should_use_adamw</c>).</summary>
    internal bool UsesAdamW(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (parameter.Shape.Rank != 2)
        {
            return true;
        }

        string path = PathOf(parameter);
        return (ExcludeEmbeddings && path.Contains("embedding", StringComparison.OrdinalIgnoreCase))
            || (_excludePattern is Regex pattern && pattern.IsMatch(path));
    }

    /// <inheritdoc/>
    private protected override TensorShape SlotShape(int slot, Parameter parameter) =>
        slot == 1 && !UsesAdamW(parameter) ? default : parameter.Shape;

    // The velocity's presence tells which rule a parameter takes, as in Keras (its state was made by UsesAdamW).
    private static bool HasVelocity(TensorShape shape, Tensor[] slots) => slots[1].Shape == shape;

    /// <inheritdoc/>
    private protected override float? WeightDecayOf(Parameter parameter, Tensor[] slots) =>
        HasVelocity(parameter.Shape, slots) ? AdamWeightDecay : base.WeightDecayOf(parameter, slots);

    /// <inheritdoc/>
    private protected override void BeginUpdates(long step, float learningRate)
    {
        // Keras, in float32: the betas cast, raised to local_step, and alpha = lr·√(1 − β2^t) / (1 − β1^t).
        float t = step, rate = learningRate * AdamLearningRateRatio;
        _adamAlpha = rate * MathF.Sqrt(1f - MathF.Pow(AdamBeta2, t)) / (1f - MathF.Pow(AdamBeta1, t));
    }

    /// <summary>AdamW's step; Muon's parameters (two axes) go through the shape-aware update.</summary>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step)
    {
        Span<float> m = slots[0].AsSpan(), v = slots[1].AsSpan();
        float alpha = _adamAlpha, epsilon = Epsilon, oneMinusBeta1 = OneMinusBeta1, oneMinusBeta2 = OneMinusBeta2;
        for (int i = 0; i < values.Length; i++)
        {
            float g = gradient[i];
            m[i] = ElementwiseUpdate.FlushToZero(m[i] + ((g - m[i]) * oneMinusBeta1));
            v[i] = ElementwiseUpdate.FlushToZero(v[i] + (((g * g) - v[i]) * oneMinusBeta2));
            values[i] -= m[i] * alpha / (MathF.Sqrt(v[i]) + epsilon);
        }
    }

    /// <inheritdoc/>
    private protected override void UpdateParameter(TensorShape shape, Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step)
    {
        if (HasVelocity(shape, slots) || values.IsEmpty)
        {
            Update(values, gradient, slots, step);
            return;
        }

        int rows = shape[0], columns = shape[1];
        EnsureScratch(values.Length, NewtonSchulz.ScratchLength(rows, columns));
        Span<float> m = slots[0].AsSpan(), direction = _direction.AsSpan(0, values.Length), update = _update.AsSpan(0, values.Length);
        float momentum = Momentum, momentumMinusOne = MomentumMinusOne;
        for (int i = 0; i < values.Length; i++)
        {
            float g = gradient[i];
            m[i] = ElementwiseUpdate.FlushToZero(m[i] + (g + (m[i] * momentumMinusOne)));
            direction[i] = Nesterov ? g + (momentum * m[i]) : m[i];
        }

        NewtonSchulz.Orthogonalize(direction, rows, columns, NsSteps, MuonA, MuonB, MuonC, update, _scratch);

        // Keras: lr_adjust(lr · update) = lr · update · √max(rows, columns) · rms_rate.
        float lr = StepLearningRate, scale = MathF.Sqrt(Math.Max(rows, columns)), rate = RmsRate ?? 1f;
        bool adjusted = RmsRate is not null;
        for (int i = 0; i < values.Length; i++)
        {
            float step1 = lr * update[i];
            values[i] -= adjusted ? step1 * scale * rate : step1;
        }
    }

    /// <inheritdoc/>
    public override Config GetConfig() => (WeightDecay is null ? base.GetConfig().SetNull("weight_decay") : base.GetConfig())
        .Set("adam_beta_1", AdamBeta1).Set("adam_beta_2", AdamBeta2).Set("epsilon", Epsilon)
        .Set("exclude_layers", new JsonArray([.. _excludeLayers.Select(layer => (JsonNode)JsonValue.Create(layer))]))
        .Set("muon_a", MuonA).Set("muon_b", MuonB).Set("muon_c", MuonC).Set("adam_lr_ratio", AdamLearningRateRatio)
        .Set("momentum", Momentum).Set("ns_steps", NsSteps).Set("nesterov", Nesterov).Set("exclude_embeddings", ExcludeEmbeddings)
        .Set("adam_weight_decay", AdamWeightDecay).Set("rms_rate", RmsRate);

    // The buffers of the largest Muon parameter seen: grown at its first step, reused after.
    private void EnsureScratch(int length, int scratchLength)
    {
        if (_direction.Length < length)
        {
            _direction = new float[length];
            _update = new float[length];
        }

        if (_scratch.Length < scratchLength)
        {
            _scratch = new float[scratchLength];
        }
    }

    // Checked as float32, the value used: 1e39 would be infinity.
    private static float ValidateFinite(double value, string parameterName) =>
        float.IsFinite((float)value) ? (float)value
        : throw new ArgumentOutOfRangeException(parameterName, value, $"{parameterName} must be a finite number (as float32). Received: {parameterName}={Float32Hyperparameter.Format(value)}.");

    // Keras searches each keyword with re.search; one alternation of them matches the same paths.
    private static (string[] Layers, Regex? Pattern) ExcludePattern(IReadOnlyList<string> layers)
    {
        string[] list = [.. layers];
        for (int i = 0; i < list.Length; i++)
        {
            if (list[i] is null)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"excludeLayers[{i}] is null."), "excludeLayers");
            }

            try
            {
                _ = new Regex(list[i], RegexOptions.CultureInvariant);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"excludeLayers[{i}] \"{list[i]}\" is not a valid regular expression: {ex.Message}"), "excludeLayers", ex);
            }
        }

        return (list, list.Length == 0 ? null
            : new Regex(string.Join("|", list.Select(layer => $"(?:{layer})")), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));
    }
}
