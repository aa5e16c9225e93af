using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Erases a random rectangle of each image of a batch during training, with a given probability (Keras'
/// <c>RandomErasing</c>); at inference the layer is the identity. Channels-last images (height, width, channels) of any
/// channel count; output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Keras' draws, in its order, one batch at a time: two area fractions per image, a and b, uniform in
/// [scale.Lower, scale.Upper]; the box's width is w = √a · width and its height h = √b · height (float32); its left
/// edge x0 = u · (width − w) and top edge y0 = v · (height − h) with u, then v, uniform in [0, 1); then a probability p
/// uniform in [factor.Lower, factor.Upper] and a threshold t uniform in [0, 1): the image is erased when t &lt; p. The
/// erased pixels are those with x0 ≤ column &lt; x0 + w and y0 ≤ row &lt; y0 + h, every channel.</para>
/// <para>They take <see cref="FillValue"/> clipped to <see cref="ValueRange"/>, or, when it is null, Keras' noise:
/// a standard normal draw times the range's high end, clipped to the range (so the share at the low end is the chance
/// that the draw falls below it: one half for (0, 255), about a sixth for (-1, 1)). Keras draws noise for every element of the batch; here it is drawn only for the erased elements, in order
/// (image, row, column, channel), after the batch's other draws. The numbers are not TensorFlow's.</para>
/// <para>Keras reads factor and scale with <c>_set_factor</c> and bounds [0, 1]: a number f gives (0, f), and a pair
/// (a, b) is refused only when a &gt; 1 or b &lt; 0. factor 0 (or scale 0) leaves every image as it is; the default
/// factor 1 erases each image with probability ½ (p is itself uniform in [0, 1]); (1, 1) erases every image.</para>
/// <para>The draws come from a seeded generator (the constructor's seed, else the model's) that advances with every
/// training call. Backward passes the gradient through, except inside the erased boxes, where it is 0.</para>
/// </remarks>
/// <example><c>model.Add(new RandomErasing((1, 1), scale: (0.05, 0.2), fillValue: 0, valueRange: (0, 1)));</c></example>
public sealed class RandomErasing : Layer, IRandomLayer
{
    // The numbers kept per image: erased (1) or not (0), then the first and one-past-last erased row and column.
    private const int PerImage = 5;

    private ColorAugmentation _boxes = new();
    private SeededRandom? _random;

    /// <summary>Creates an erasing layer whose probability is drawn from [0, factor], Keras' way.</summary>
    /// <param name="factor">In [0, 1]: each image's probability of being erased is drawn from [0, factor] (Keras' default 1).</param>
    /// <param name="scale">The (lower, upper) range of the area fractions drawn per side; null for Keras' default (0.02, 0.33).
    /// Keras' single number s is (0, s).</param>
    /// <param name="fillValue">The value of the erased pixels (clipped to the value range); null for Keras' clipped normal noise.</param>
    /// <param name="valueRange">The (low, high) range of the images (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_erasing</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is outside [0, 1]; the scale refused by Keras' rule; the fill value or value range not finite.</exception>
    public RandomErasing(double factor = 1.0, (double Lower, double Upper)? scale = null, double? fillValue = null, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : this(AugmentationChecks.BaseFactor(nameof(RandomErasing), nameof(factor), factor, 0, 1), scale, fillValue, valueRange, seed, name)
    {
    }

    /// <summary>Creates an erasing layer whose probability is drawn from (lower, upper).</summary>
    /// <param name="factor">(lower, upper), sorted if reversed. Keras' rule (<c>_set_factor</c>): refused only when lower &gt; 1 or
    /// upper &lt; 0 as given; (1, 1) erases every image.</param>
    /// <param name="scale">The (lower, upper) range of the area fractions drawn per side; null for Keras' default (0.02, 0.33).
    /// Keras' rule: refused only when lower &gt; 1 or upper &lt; 0 as given; sorted.</param>
    /// <param name="fillValue">The value of the erased pixels (clipped to the value range); null for Keras' clipped normal noise.</param>
    /// <param name="valueRange">The (low, high) range of the images (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_erasing</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor or scale refused by Keras' rule or not finite; the fill value or value range not finite.</exception>
    public RandomErasing((double Lower, double Upper) factor, (double Lower, double Upper)? scale = null, double? fillValue = null, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : base(name)
    {
        Factor = AugmentationChecks.BaseFactor(nameof(RandomErasing), nameof(factor), factor, 0, 1);
        Scale = AugmentationChecks.BaseFactor(nameof(RandomErasing), nameof(scale), scale ?? (0.02, 0.33), 0, 1);
        if (fillValue is double fill && !double.IsFinite(fill))
        {
            throw new ArgumentOutOfRangeException(nameof(fillValue), fill, $"RandomErasing expects a finite fillValue, or null for noise. Received: fillValue={AugmentationChecks.Format(fill)}.");
        }

        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(RandomErasing), range);
        FillValue = fillValue;
        ValueRange = range.Low <= range.High ? range : (range.High, range.Low);
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) range each image's erasing probability is drawn from.</summary>
    public (double Lower, double Upper) Factor { get; }

    /// <summary>The (lower, upper) range of the area fractions a, b (the box is √a of the width by √b of the height).</summary>
    public (double Lower, double Upper) Scale { get; }

    /// <summary>The value of the erased pixels (clipped to <see cref="ValueRange"/>), or null for clipped normal noise.</summary>
    public double? FillValue { get; }

    /// <summary>The (low, high) range of the images: the fill is clipped to it, and the noise is scaled by its high end.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_erasing";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>
    /// The boxes of the last training call, five numbers per image: 1 when erased else 0, then the first and one-past-last
    /// erased row and column (empty after an inference call).
    /// </summary>
    internal ReadOnlySpan<double> LastBoxes => _boxes.Draws;

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = base.GetConfig().SetPair("factor", Factor).SetPair("scale", Scale);
        config = FillValue is double fill ? config.Set("fill_value", fill) : config.Set("fill_value", (string?)null);
        return config.SetPair("value_range", ValueRange).Set("seed", AugmentationSeed);
    }

    /// <summary>Keras' <c>from_config</c>: factor and scale a number or a pair; a per-channel fill value list is not supported.</summary>
    internal static RandomErasing FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        AugmentationConfig.Factor? factor = AugmentationConfig.ReadFactor(config, "factor");
        (double, double)? scale = AugmentationConfig.ReadFactor(config, "scale") is AugmentationConfig.Factor s
            ? s.Number is double number ? AugmentationChecks.BaseFactor(nameof(RandomErasing), "scale", number, 0, 1) : s.Pair
            : null;
        if (config.Contains("fill_value") && config.GetNode("fill_value")!.GetValueKind() != System.Text.Json.JsonValueKind.Number)
        {
            throw config.Error("\"fill_value\" must be a number or null (Keras' per-channel list is not supported).");
        }

        double? fill = config.Contains("fill_value") ? config.GetDouble("fill_value") : null;
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        return factor is { Number: double f } ? new RandomErasing(f, scale, fill, valueRange, seed, name)
            : factor is { } pair ? new RandomErasing(pair.Pair, scale, fill, valueRange, seed, name)
            : new RandomErasing(1.0, scale, fill, valueRange, seed, name);
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);

        // Made at build, so every instance of a shared layer (one per call) keeps its own boxes.
        _boxes = new ColorAugmentation();
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        if (!training)
        {
            _boxes.Skip(input.Shape[0]);
            return input;
        }

        Span<double> boxes = _boxes.Begin(input, PerImage);
        DrawBoxes(boxes, input.Shape[0]);
        Tensor output = _boxes.Output(InputShape);
        input.AsReadOnlySpan().CopyTo(output.AsSpan());
        Span<float> y = output.AsSpan();
        int width = InputShape[1], channels = InputShape[2], size = InputShape.ElementCount;
        float low = (float)ValueRange.Low, high = (float)ValueRange.High;
        float constant = FillValue is double fill ? Math.Clamp((float)fill, low, high) : 0f;
        SeededRandom random = Random;
        for (int n = 0; n < boxes.Length / PerImage; n++)
        {
            ReadOnlySpan<double> box = boxes.Slice(n * PerImage, PerImage);
            if (box[0] == 0)
            {
                continue;
            }

            for (int row = (int)box[1]; row < (int)box[2]; row++)
            {
                Span<float> erased = y.Slice((n * size) + ((((row * width) + (int)box[3]) * channels)), ((int)box[4] - (int)box[3]) * channels);
                if (FillValue is null)
                {
                    for (int i = 0; i < erased.Length; i++)
                    {
                        erased[i] = Math.Clamp(random.NextNormal() * high, low, high);
                    }
                }
                else
                {
                    erased.Fill(constant);
                }
            }
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (_boxes.BeginBackward(outputGradient, this, InputShape) is not Tensor inputGradient)
        {
            return outputGradient;
        }

        outputGradient.AsReadOnlySpan().CopyTo(inputGradient.AsSpan());
        ReadOnlySpan<double> boxes = _boxes.Draws;
        Span<float> dx = inputGradient.AsSpan();
        int width = InputShape[1], channels = InputShape[2], size = InputShape.ElementCount;
        for (int n = 0; n < boxes.Length / PerImage; n++)
        {
            ReadOnlySpan<double> box = boxes.Slice(n * PerImage, PerImage);
            for (int row = (int)box[1]; box[0] != 0 && row < (int)box[2]; row++)
            {
                dx.Slice((n * size) + ((((row * width) + (int)box[3]) * channels)), ((int)box[4] - (int)box[3]) * channels).Clear();
            }
        }

        return inputGradient;
    }

    // Keras' get_random_transformation, batch by batch in its order; each box kept as integer row and column bounds.
    private void DrawBoxes(Span<double> boxes, int batch)
    {
        SeededRandom random = Random;
        int height = InputShape[0], width = InputShape[1];
        for (int n = 0; n < batch; n++)
        {
            // mix_weight (batch, 2), row-major: the width's fraction, then the height's; sqrt in float32.
            boxes[(n * PerImage) + 3] = MathF.Sqrt((float)(Scale.Lower + ((Scale.Upper - Scale.Lower) * random.NextDouble())));
            boxes[(n * PerImage) + 1] = MathF.Sqrt((float)(Scale.Lower + ((Scale.Upper - Scale.Lower) * random.NextDouble())));
        }

        for (int n = 0; n < batch; n++)
        {
            SetBounds(boxes.Slice((n * PerImage) + 3, 2), width, (float)random.NextDouble());
        }

        for (int n = 0; n < batch; n++)
        {
            SetBounds(boxes.Slice((n * PerImage) + 1, 2), height, (float)random.NextDouble());
        }

        for (int n = 0; n < batch; n++)
        {
            boxes[n * PerImage] = (float)(Factor.Lower + ((Factor.Upper - Factor.Lower) * random.NextDouble()));
        }

        for (int n = 0; n < batch; n++)
        {
            boxes[n * PerImage] = (float)random.NextDouble() < boxes[n * PerImage] ? 1 : 0;
        }
    }

    // Keras' _compute_crop_bounds in float32 (bounds[0] holds √fraction on entry): length = √fraction · size,
    // start = u · (size − length), end = start + length; the erased indices i are start ≤ i < end, kept as [first, last + 1).
    // A NaN length (a negative fraction, which Keras' pair rule lets through) erases nothing, as Keras' comparisons do.
    private static void SetBounds(Span<double> bounds, int size, float u)
    {
        float length = (float)bounds[0] * size;
        float start = u * (size - length), end = start + length;
        int first = 0;
        while (first < size && !(first >= start))
        {
            first++;
        }

        int last = first;
        while (last < size && last < end)
        {
            last++;
        }

        bounds[0] = first;
        bounds[1] = Math.Max(last, first);
    }
}
