using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Blends each image of a batch with another image of the same batch during training (Keras' <c>MixUp</c>, Zhang et al.
/// 2017); at inference the layer is the identity. Channels-last images (height, width, channels) of any channel count;
/// output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Keras' draws, in its order, one batch at a time: a permutation π of the batch (a shuffle of 0 … n − 1), then one
/// weight λᵢ per image from Beta(alpha, alpha). Image i becomes yᵢ = λᵢ · xᵢ + (1 − λᵢ) · x_π(i) (float32, in that
/// order). The numbers are not TensorFlow's.</para>
/// <para>Inside a model the layer sees only the images, so it mixes the images only, as Keras does when called on a
/// tensor. Keras called on <c>{"images", "labels"}</c> also mixes the one-hot labels with the same draws,
/// ŷᵢ = λᵢ · yᵢ + (1 − λᵢ) · y_π(i); without that the targets stay those of image i.</para>
/// <para>The draws come from a seeded generator (the constructor's seed, else the model's) that advances with every
/// training call. Mixing is linear in the input: backward gives dxⱼ = λⱼ · gⱼ + Σ over i with π(i) = j of (1 − λᵢ) · gᵢ.</para>
/// </remarks>
/// <example><c>model.Add(new MixUp(alpha: 0.2));</c></example>
public sealed class MixUp : Layer, IRandomLayer
{
    // The numbers kept per image: the partner π(i), then λᵢ.
    private const int PerImage = 2;

    private ColorAugmentation _mix = new();
    private int[] _order = [];
    private SeededRandom? _random;

    /// <summary>Creates a MixUp layer.</summary>
    /// <param name="alpha">The parameter of the Beta(alpha, alpha) distribution of the weights, positive (Keras' default 0.2,
    /// its ImageNet recommendation); small values keep the images nearly as they are, 1 draws λ uniformly.</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>mix_up</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not a positive finite number.</exception>
    public MixUp(double alpha = 0.2, long? seed = null, string? name = null)
        : base(name)
    {
        if (!(alpha > 0 && double.IsFinite(alpha)))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"MixUp expects alpha to be a positive finite number (the parameter of Beta(alpha, alpha)). Received: alpha={AugmentationChecks.Format(alpha)}.");
        }

        Alpha = alpha;
        AugmentationSeed = seed;
    }

    /// <summary>The parameter of the Beta(alpha, alpha) distribution of the weights λ.</summary>
    public double Alpha { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "mix_up";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The draws of the last training call, two numbers per image: the partner π(i), then λᵢ (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastDraws => _mix.Draws;

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <summary>
    /// Mixes a batch of images and its labels with the same draws, as Keras' layer called on
    /// <c>{"images": ..., "labels": ...}</c>: for a data pipeline (a <see cref="Datasets.DataSource"/> or
    /// <see cref="Datasets.BatchDataset"/> of your own), where the labels are at hand. The images go through a training call
    /// of the layer (built for their shape on first use; the same generator as in a model, so a seed gives the same
    /// draws; use an instance that is not in the model being trained, since the data pipeline runs beside the training
    /// step); label row i becomes wᵢ · yᵢ + (1 − wᵢ) · y_π(i), with wᵢ λᵢ.
    /// </summary>
    /// <param name="images">(batch, height, width, channels).</param>
    /// <param name="labels">(batch, classes, ...): one-hot or soft labels, one row per image (class indices cannot be mixed).</param>
    /// <returns>New tensors: the mixed images and the mixed labels.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The images are not a batch of images of the layer's input shape, or the labels
    /// do not have one row per image; nothing is drawn.</exception>
    /// <example><c>var (x, y) = layer.MixBatch(images, oneHotLabels);</c></example>
    public (Tensor Images, Tensor Labels) MixBatch(Tensor images, Tensor labels)
    {
        Tensor mixed = LabelMixing.MixImages(this, Describe(), images, labels);
        return (mixed, LabelMixing.MixLabels(labels, _mix.Draws, PerImage, weightSlot: 1));
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("alpha", Alpha).Set("seed", AugmentationSeed);

    /// <summary>Keras' <c>from_config</c>: alpha (0.2 when absent) and seed.</summary>
    internal static MixUp FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        return new MixUp(config.Contains("alpha") ? config.GetDouble("alpha") : 0.2, config.GetNullableInt64("seed"), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);

        // Made at build, so every instance of a shared layer (one per call) keeps its own draws.
        _mix = new ColorAugmentation();
        _order = [];
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0];
        if (!training)
        {
            _mix.Skip(batch);
            return input;
        }

        Span<double> draws = _mix.Begin(input, PerImage);
        Span<int> order = BatchOrder.Draw(ref _order, batch, Random);
        for (int i = 0; i < batch; i++)
        {
            draws[i * PerImage] = order[i];
        }

        for (int i = 0; i < batch; i++)
        {
            draws[(i * PerImage) + 1] = (float)BetaSampler.Next(Random, Alpha, Alpha);
        }

        Tensor output = _mix.Output(InputShape);
        Mix(input.AsReadOnlySpan(), draws, InputShape.ElementCount, output.AsSpan());
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (_mix.BeginBackward(outputGradient, this, InputShape) is not Tensor inputGradient)
        {
            return outputGradient;
        }

        ReadOnlySpan<double> draws = _mix.Draws;
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        int size = InputShape.ElementCount;
        dx.Clear();
        for (int i = 0; i < draws.Length / PerImage; i++)
        {
            float weight = (float)draws[(i * PerImage) + 1];
            int partner = (int)draws[i * PerImage];
            ReadOnlySpan<float> g = dy.Slice(i * size, size);
            Span<float> own = dx.Slice(i * size, size), other = dx.Slice(partner * size, size);
            TensorPrimitives.MultiplyAdd(g, weight, own, own);
            TensorPrimitives.MultiplyAdd(g, 1f - weight, other, other);
        }

        return inputGradient;
    }

    // y = x · λ (n, ...) + x[π] · (1 − λ), image by image, in float32 as Keras: each product rounded, then the sum.
    private static void Mix(ReadOnlySpan<float> x, ReadOnlySpan<double> draws, int size, Span<float> y)
    {
        for (int i = 0; i < draws.Length / PerImage; i++)
        {
            float weight = (float)draws[(i * PerImage) + 1];
            int partner = (int)draws[i * PerImage];
            Span<float> mixed = y.Slice(i * size, size);
            TensorPrimitives.Multiply(x.Slice(i * size, size), weight, mixed);
            TensorPrimitives.MultiplyAdd(x.Slice(partner * size, size), 1f - weight, mixed, mixed);
        }
    }
}
