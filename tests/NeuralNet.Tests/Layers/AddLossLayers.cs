using System.Numerics.Tensors;
using NeuralNet.Layers;
using NeuralNet.Serialization;

namespace NeuralNet.Tests.Layers;

/// <summary>
/// Passes its input through and adds <c>factor * sum(x²) / batch</c> with <see cref="Layer.AddLoss"/>; its backward pass
/// adds the term's gradient <c>2 * factor * x / batch</c> to the output gradient.
/// </summary>
internal sealed class SquaresLoss(float factor, string? name = null) : Layer(name)
{
    private Tensor? _input;
    private Tensor? _inputGradient;

    public float Factor { get; } = factor;

    public override string DefaultNamePrefix => "squares_loss";

    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    protected override Tensor OnForward(Tensor input, bool training)
    {
        // x (B, ...) -> x; loss += factor * sum(x²) / B
        _input = input;
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        AddLoss((float)(Factor * (double)TensorPrimitives.Dot(x, x) / input.Shape[0]));
        return input;
    }

    protected override Tensor OnBackward(Tensor outputGradient)
    {
        // dx = dy + 2 * factor * x / B (the term's gradient joins the one from the output)
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor gradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        TensorPrimitives.MultiplyAdd(_input!.AsReadOnlySpan(), 2f * Factor / outputGradient.Shape[0], outputGradient.AsReadOnlySpan(), gradient.AsSpan());
        return gradient;
    }
}

/// <summary>
/// The VAE tutorial's sampling layer with its KL term: inputs z_mean, z_log_var (B, L); z = z_mean + exp(z_log_var / 2) * eps
/// with eps ~ N(0, 1); adds <c>mean over the batch of -0.5 * sum(1 + z_log_var - z_mean² - exp(z_log_var))</c>. With
/// <c>fixedNoise</c>, eps is drawn once (from the seed) and kept, so the layer is deterministic for gradient checks.
/// </summary>
internal sealed class KlSampling(long seed, bool fixedNoise = false, string? name = null) : MultiInputLayer(name)
{
    private SeededRandom? _random;
    private Tensor? _noise;
    private Tensor? _mean;
    private Tensor? _logVar;
    private Tensor? _output;
    private Tensor? _meanGradient;
    private Tensor? _logVarGradient;

    public override string DefaultNamePrefix => "kl_sampling";

    protected override int MinimumInputCount => 2;

    protected override int MaximumInputCount => 2;

    protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        if (inputShapes[0] != inputShapes[1] || inputShapes[0].Rank != 1)
        {
            throw new ArgumentException($"{Describe()} expects z_mean and z_log_var of one shape (None, latent) but got {inputShapes[0].ToBatchString()} and {inputShapes[1].ToBatchString()}.", nameof(inputShapes));
        }

        _random = new SeededRandom(seed);
        return inputShapes[0];
    }

    protected override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        // z_mean, z_log_var, eps, z: (B, L)
        int batch = inputs[0].Shape[0];
        bool draw = !fixedNoise || _noise is null || _noise.Shape[0] != batch;
        Tensor noise = BatchView(ref _noise, batch, OutputShape);
        if (draw)
        {
            Span<float> e = noise.AsSpan();
            for (int i = 0; i < e.Length; i++)
            {
                e[i] = _random!.NextNormal();
            }
        }

        Tensor output = BatchView(ref _output, batch, OutputShape);
        ReadOnlySpan<float> mean = inputs[0].AsReadOnlySpan(), logVar = inputs[1].AsReadOnlySpan(), eps = noise.AsReadOnlySpan();
        Span<float> z = output.AsSpan();
        double kl = 0;
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = mean[i] + (MathF.Exp(0.5f * logVar[i]) * eps[i]);
            kl += -0.5 * (1 + logVar[i] - ((double)mean[i] * mean[i]) - Math.Exp(logVar[i]));
        }

        AddLoss((float)(kl / batch));
        _mean = inputs[0];
        _logVar = inputs[1];
        return output;
    }

    protected override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        // dMean = dz + mean / B; dLogVar = dz * eps * exp(logVar / 2) / 2 + (exp(logVar) - 1) / (2B)
        if (!ComputesInputGradient)
        {
            return;
        }

        int batch = outputGradient.Shape[0];
        Tensor meanGradient = BatchView(ref _meanGradient, batch, OutputShape);
        Tensor logVarGradient = BatchView(ref _logVarGradient, batch, OutputShape);
        ReadOnlySpan<float> dz = outputGradient.AsReadOnlySpan(), mean = _mean!.AsReadOnlySpan(), logVar = _logVar!.AsReadOnlySpan(), eps = _noise!.AsReadOnlySpan();
        Span<float> dMean = meanGradient.AsSpan(), dLogVar = logVarGradient.AsSpan();
        for (int i = 0; i < dz.Length; i++)
        {
            dMean[i] = dz[i] + (mean[i] / batch);
            dLogVar[i] = (dz[i] * 0.5f * eps[i] * MathF.Exp(0.5f * logVar[i])) + ((MathF.Exp(logVar[i]) - 1f) / (2f * batch));
        }

        inputGradients[0] = meanGradient;
        inputGradients[1] = logVarGradient;
    }
}

/// <summary>A layer that breaks the rule: it calls <see cref="Layer.AddLoss"/> from its backward pass, or when asked to.</summary>
internal sealed class MisplacedAddLoss(string? name = null) : Layer(name)
{
    public override string DefaultNamePrefix => "misplaced_add_loss";

    public void AddNow(float value) => AddLoss(value);

    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    protected override Tensor OnForward(Tensor input, bool training) => input;

    protected override Tensor OnBackward(Tensor outputGradient)
    {
        AddLoss(1f);
        return outputGradient;
    }
}

/// <summary>Passes its input through and adds a fixed value (NaN, to check that it reaches the loss as Keras' would).</summary>
internal sealed class ConstantLoss(float value, string? name = null) : Layer(name)
{
    public override string DefaultNamePrefix => "constant_loss";

    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    protected override Tensor OnForward(Tensor input, bool training)
    {
        AddLoss(value);
        return input;
    }

    protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
}

/// <summary>
/// Passes its input through and adds its batch's row count: a term that is a sum over the rows, not a mean (Keras'
/// add_loss docstring adds <c>ops.sum(x)</c>), whose value for a batch no combination of smaller passes gives.
/// </summary>
internal sealed class RowCountLoss(string? name = null) : Layer(name)
{
    public override string DefaultNamePrefix => "row_count_loss";

    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    protected override Tensor OnForward(Tensor input, bool training)
    {
        AddLoss(input.Shape[0]);
        return input;
    }

    // The term does not depend on the values: no gradient of its own.
    protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
}

/// <summary>
/// <see cref="SquaresLoss"/>'s term (<c>factor * sum(x²) / batch</c>, gradient <c>2 * factor * x / batch</c>) in a layer
/// registered for serialization, as the wrappers require: they run copies made from the configurations of the layers given.
/// </summary>
internal sealed class RegisteredSquaresLoss : Layer
{
    private Tensor? _input;
    private Tensor? _inputGradient;

    static RegisteredSquaresLoss() =>
        SerializationRegistry.Register("NeuralNetTests>RegisteredSquaresLoss", c => new RegisteredSquaresLoss((float)c.GetDouble("factor", 0), c.GetString("name")));

    public RegisteredSquaresLoss(float factor, string? name = null)
        : base(name)
    {
        Factor = factor;
    }

    public float Factor { get; }

    public override string DefaultNamePrefix => "registered_squares_loss";

    public override Config GetConfig() => base.GetConfig().Set("factor", Factor);

    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    protected override Tensor OnForward(Tensor input, bool training)
    {
        _input = input;
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        AddLoss((float)(Factor * (double)TensorPrimitives.Dot(x, x) / input.Shape[0]));
        return input;
    }

    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor gradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        TensorPrimitives.MultiplyAdd(_input!.AsReadOnlySpan(), 2f * Factor / outputGradient.Shape[0], outputGradient.AsReadOnlySpan(), gradient.AsSpan());
        return gradient;
    }
}
