using System.Numerics.Tensors;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Pastes a random rectangle of another image of the same batch into each image during training (Keras' <c>CutMix</c>,
/// Yun et al. 2019); at inference the layer is the identity. Channels-last images (height, width, channels) of any
/// channel count; output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Keras' draws, in its order, one batch at a time: one α uniform in [factor.Lower, factor.Upper], plus 1e-6; one
/// λᵢ per image from Beta(α, α); one u per image, then one v per image, uniform in [0, 1); then a permutation π of the batch
/// (a shuffle of 0 … n − 1). In float32, the box of image i has sides rᵢ · width by rᵢ · height with rᵢ = √(1 − λᵢ), its
/// left edge x0 = u · (width − rᵢ · width) and top edge y0 = v · (height − rᵢ · height); the pixels with
/// x0 ≤ column &lt; x0 + rᵢ · width and y0 ≤ row &lt; y0 + rᵢ · height, every channel, are taken from image π(i). The
/// numbers are not TensorFlow's.</para>
/// <para>Inside a model the layer sees only the images, so it mixes the images only, as Keras does when called on a tensor.
/// Keras called on <c>{"images", "labels"}</c> also mixes the one-hot labels, ŷᵢ = wᵢ · yᵢ + (1 − wᵢ) · y_π(i), with the
/// weight of the box's real-valued area, wᵢ = 1 − (x1 − x0)(y1 − y0) / (width · height), not λᵢ.</para>
/// <para>Keras reads factor with <c>_set_factor</c> and bounds [0, 1]: a number f gives (0, f), and a pair (a, b) is
/// refused only when a &gt; 1 or b &lt; 0. α near 0 makes λ 0 or 1, so each image is wholly replaced or kept; α = 1 draws
/// λ uniformly. The draws come from a seeded generator (the constructor's seed, else the model's) that advances with every
/// training call. Backward routes each output pixel's gradient to the input pixel it was copied from.</para>
/// </remarks>
/// <example><c>model.Add(new CutMix(factor: 1.0));</c></example>
public sealed class CutMix : Layer, IRandomLayer
{
    // The numbers kept per image: the partner π(i), λᵢ, the first and one-past-last pasted row and column, then the
    // label weight wᵢ.
    private const int PerImage = 7;

    private ColorAugmentation _mix = new();
    private int[] _order = [];
    private SeededRandom? _random;

    /// <summary>Creates a CutMix layer whose α is drawn from [0, factor], Keras' way.</summary>
    /// <param name="factor">In [0, 1]: α, the parameter of the Beta(α, α) draws of λ, is drawn from [0, factor] per batch (Keras' default 1).</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>cut_mix</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is outside [0, 1].</exception>
    public CutMix(double factor = 1.0, long? seed = null, string? name = null)
        : this(AugmentationChecks.BaseFactor(nameof(CutMix), nameof(factor), factor, 0, 1), seed, name)
    {
    }

    /// <summary>Creates a CutMix layer whose α is drawn from (lower, upper).</summary>
    /// <param name="factor">(lower, upper), sorted if reversed. Keras' rule (<c>_set_factor</c>): refused only when lower &gt; 1 or
    /// upper &lt; 0 as given.</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>cut_mix</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor refused by Keras' rule, or not finite; a lower end below 0 (which
    /// Keras' rule lets through, and then draws a non-positive α and NaN).</exception>
    public CutMix((double Lower, double Upper) factor, long? seed = null, string? name = null)
        : base(name)
    {
        Factor = AugmentationChecks.BaseFactor(nameof(CutMix), nameof(factor), factor, 0, 1);
        if (Factor.Lower < 0)
        {
            // Keras' pair rule lets (−0.5, 0.5) through, but α = u + 1e-6 ≤ 0 is no Beta distribution (Keras draws NaN).
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"CutMix expects factor's lower end to be at least 0, as α = u + 1e-6 must be positive. Received: factor={AugmentationChecks.Format(factor)}.");
        }

        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) range each batch's α is drawn from (before Keras' + 1e-6).</summary>
    public (double Lower, double Upper) Factor { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "cut_mix";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>
    /// The draws of the last training call, seven numbers per image: the partner π(i), λᵢ, the first and one-past-last
    /// pasted row, the first and one-past-last pasted column, and Keras' label weight wᵢ (empty after an inference call).
    /// </summary>
    internal ReadOnlySpan<double> LastDraws => _mix.Draws;

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <summary>
    /// Mixes a batch of images and its labels with the same draws, as Keras' layer called on
    /// <c>{"images": ..., "labels": ...}</c>: for a data pipeline (a <see cref="Datasets.DataSource"/> or
    /// <see cref="Datasets.BatchDataset"/> of your own), where the labels are at hand. The images go through a training call
    /// of the layer (built for their shape on first use; the same generator as in a model, so a seed gives the same
    /// draws; use an instance that is not in the model being trained, since the data pipeline runs beside the training
    /// step); label row i becomes wᵢ · yᵢ + (1 − wᵢ) · y_π(i), with wᵢ the share of image i left outside the box, wᵢ = 1 − box area / (W · H).
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
        return (mixed, LabelMixing.MixLabels(labels, _mix.Draws, PerImage, weightSlot: 6));
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().SetPair("factor", Factor).Set("seed", AugmentationSeed);

    /// <summary>Keras' <c>from_config</c>: factor a number or a pair (1 when absent), and seed.</summary>
    internal static CutMix FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        AugmentationConfig.Factor? factor = AugmentationConfig.ReadFactor(config, "factor");
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        return factor is { Number: double f } ? new CutMix(f, seed, name)
            : factor is { } pair ? new CutMix(pair.Pair, seed, name)
            : new CutMix(1.0, seed, name);
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
        Draw(draws, batch);
        Tensor output = _mix.Output(InputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        x.CopyTo(y);
        int width = InputShape[1], channels = InputShape[2], size = InputShape.ElementCount;
        for (int i = 0; i < batch; i++)
        {
            ReadOnlySpan<double> image = draws.Slice(i * PerImage, PerImage);
            int partner = (int)image[0], column = (int)image[4], length = ((int)image[5] - column) * channels;
            for (int row = (int)image[2]; row < (int)image[3]; row++)
            {
                int offset = ((row * width) + column) * channels;
                x.Slice((partner * size) + offset, length).CopyTo(y.Slice((i * size) + offset, length));
            }
        }

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

        // Image j's pixel may feed two outputs (its own, outside its box, and image i's box when π(i) = j): accumulate
        // from zero, so each element is the sum of its one or two contributions whatever the order.
        dx.Clear();
        int height = InputShape[0], width = InputShape[1], channels = InputShape[2], size = InputShape.ElementCount, rowLength = width * channels;
        for (int i = 0; i < draws.Length / PerImage; i++)
        {
            ReadOnlySpan<double> image = draws.Slice(i * PerImage, PerImage);
            int partner = (int)image[0], top = (int)image[2], bottom = (int)image[3], left = (int)image[4] * channels, right = (int)image[5] * channels;
            for (int row = 0; row < height; row++)
            {
                int start = (i * size) + (row * rowLength);
                ReadOnlySpan<float> g = dy.Slice(start, rowLength);
                Span<float> own = dx.Slice(start, rowLength), other = dx.Slice((partner * size) + (row * rowLength), rowLength);
                if (row < top || row >= bottom || left == right)
                {
                    TensorPrimitives.Add(own, g, own);
                    continue;
                }

                TensorPrimitives.Add(own[..left], g[..left], own[..left]);
                TensorPrimitives.Add(other[left..right], g[left..right], other[left..right]);
                TensorPrimitives.Add(own[right..], g[right..], own[right..]);
            }
        }

        return inputGradient;
    }

    // Keras' get_random_transformation in its order (α, the λs, the us, the vs, the permutation), in float32.
    private void Draw(Span<double> draws, int batch)
    {
        SeededRandom random = Random;
        int height = InputShape[0], width = InputShape[1];
        float alpha = (float)(Factor.Lower + ((Factor.Upper - Factor.Lower) * random.NextDouble())) + 1e-6f;
        for (int i = 0; i < batch; i++)
        {
            draws[(i * PerImage) + 1] = (float)BetaSampler.Next(random, alpha, alpha);
        }

        for (int axis = 0; axis < 2; axis++)
        {
            // x (columns, slots 4 and 5) first, then y (rows, slots 2 and 3).
            int length = axis == 0 ? width : height, slot = axis == 0 ? 4 : 2;
            for (int i = 0; i < batch; i++)
            {
                float crop = MathF.Sqrt(1f - (float)draws[(i * PerImage) + 1]) * length;
                float start = (float)random.NextDouble() * (length - crop);
                (draws[(i * PerImage) + slot], draws[(i * PerImage) + slot + 1]) = Pixels(start, start + crop, length);

                // Keras' label weight 1 − (x1 − x0)(y1 − y0) / (width · height) in float32: the x extent is kept until the y one is known.
                float extent = (start + crop) - start;
                draws[(i * PerImage) + 6] = axis == 0 ? extent : 1f - ((float)draws[(i * PerImage) + 6] * extent / (width * height));
            }
        }

        Span<int> order = BatchOrder.Draw(ref _order, batch, random);
        for (int i = 0; i < batch; i++)
        {
            draws[i * PerImage] = order[i];
        }
    }

    // The pixels i with start ≤ i < end, as [first, one past last), within [0, length).
    private static (int First, int End) Pixels(float start, float end, int length)
    {
        int first = Math.Clamp((int)MathF.Ceiling(start), 0, length);
        return (first, Math.Clamp((int)MathF.Ceiling(end), first, length));
    }
}
