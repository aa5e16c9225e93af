namespace NeuralNet.Layers;

/// <summary>
/// What <see cref="MixUp.MixBatch"/> and <see cref="CutMix.MixBatch"/> share: the images mixed by a training call of
/// the layer, and the labels mixed with the same draws, ŷᵢ = wᵢ · yᵢ + (1 − wᵢ) · y_π(i) (Keras' <c>labels</c> entry).
/// </summary>
internal static class LabelMixing
{
    /// <summary>
    /// Checks a batch, then runs <paramref name="layer"/> (described as <paramref name="description"/>) on
    /// <paramref name="images"/> in training mode, building it for their shape on first use; returns a copy of its output.
    /// </summary>
    public static Tensor MixImages(Layer layer, string description, Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Shape.Rank != 4)
        {
            throw new ArgumentException($"{description} mixes a batch of images (batch, height, width, channels), but the images are {images.Shape}.", nameof(images));
        }

        if (labels.Shape.Rank < 2 || labels.Shape[0] != images.Shape[0])
        {
            throw new ArgumentException($"{description} mixes one label row per image (one-hot or soft labels, (batch, classes)): the images are {images.Shape} ({images.Shape[0]} images), but the labels are {labels.Shape}; class indices cannot be mixed, one-hot encode them first.", nameof(labels));
        }

        if (!layer.IsBuilt)
        {
            layer.Build(images.Shape.DropFirst());
        }
        else if (images.Shape.DropFirst() != layer.InputShape)
        {
            throw new ArgumentException($"{description} was built for images of {layer.InputShape}, but these are {images.Shape.DropFirst()}.", nameof(images));
        }

        return layer.Forward(images, training: true).Clone();
    }

    /// <summary>
    /// <paramref name="labels"/> mixed with the draws of the call that mixed their images: per image
    /// <paramref name="perImage"/> numbers, the partner first and the label weight at <paramref name="weightSlot"/>.
    /// ŷᵢ = w · yᵢ + (1 − w) · y_π(i), in float32 as Keras: each product rounded, then the sum.
    /// </summary>
    public static Tensor MixLabels(Tensor labels, ReadOnlySpan<double> draws, int perImage, int weightSlot)
    {
        var result = new Tensor(labels.Shape);
        ReadOnlySpan<float> y = labels.AsReadOnlySpan();
        Span<float> mixed = result.AsSpan();
        int batch = draws.Length / perImage, size = y.Length / batch;
        for (int i = 0; i < batch; i++)
        {
            float weight = (float)draws[(i * perImage) + weightSlot], rest = 1f - weight;
            int partner = (int)draws[i * perImage];
            for (int k = 0; k < size; k++)
            {
                mixed[(i * size) + k] = (weight * y[(i * size) + k]) + (rest * y[(partner * size) + k]);
            }
        }

        return result;
    }
}
