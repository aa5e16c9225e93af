namespace NeuralNet.Applications;

/// <summary>
/// Keras' <c>imagenet_utils.preprocess_input</c> for channels-last float32 images, in the three modes Keras' applications
/// use: <see cref="Caffe"/> for ResNet50/101/152 and VGG16/19 (<c>keras.applications.resnet</c>, <c>vgg16</c>,
/// <c>vgg19</c>), <see cref="Tf"/> for MobileNetV2 (<c>mobilenet_v2</c>; also Keras' ResNetV2, Xception, Inception and
/// MobileNet v1 families), <see cref="Torch"/> for DenseNet121/169/201 (<c>densenet</c>). Each step rounds to float32 as Keras' NumPy path does (a float32 array and a Python scalar).
/// </summary>
public static class ImageNetPreprocessing
{
    /// <summary>The ImageNet mean of each channel in BGR order (Keras' caffe mode).</summary>
    private static readonly float[] BgrMean = [103.939f, 116.779f, 123.68f];

    /// <summary>The ImageNet mean of each RGB channel of images scaled to [0, 1] (Keras' torch mode).</summary>
    private static readonly float[] RgbMean = [0.485f, 0.456f, 0.406f];

    /// <summary>The ImageNet standard deviation of each RGB channel of images scaled to [0, 1] (Keras' torch mode).</summary>
    private static readonly float[] RgbStd = [0.229f, 0.224f, 0.225f];

    /// <summary>
    /// Keras' 'caffe' mode: RGB images with values in [0, 255] become BGR with the ImageNet mean of each channel
    /// (B 103.939, G 116.779, R 123.68) subtracted, not scaled: y[..., c] = x[..., 2 - c] - mean[c].
    /// </summary>
    /// <param name="images">Images, channels last (the last axis of 3 is RGB): (n, height, width, 3) or one (height, width, 3).</param>
    /// <returns>A new tensor of the same shape; <paramref name="images"/> is unchanged.</returns>
    /// <exception cref="ArgumentException">The last axis is not 3 channels.</exception>
    public static Tensor Caffe(Tensor images)
    {
        RequireRgb(images, nameof(Caffe));
        var result = new Tensor(images.Shape);
        ReadOnlySpan<float> x = images.AsReadOnlySpan();
        Span<float> y = result.AsSpan();
        for (int i = 0; i < x.Length; i += 3)
        {
            y[i] = x[i + 2] - BgrMean[0];
            y[i + 1] = x[i + 1] - BgrMean[1];
            y[i + 2] = x[i] - BgrMean[2];
        }

        return result;
    }

    /// <summary>Keras' 'tf' mode: values in [0, 255] are scaled to [-1, 1], y = x / 127.5 - 1.</summary>
    /// <param name="images">Images of any shape (channels last, RGB, as the models take them).</param>
    /// <returns>A new tensor of the same shape; <paramref name="images"/> is unchanged.</returns>
    public static Tensor Tf(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var result = new Tensor(images.Shape);
        ReadOnlySpan<float> x = images.AsReadOnlySpan();
        Span<float> y = result.AsSpan();
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = (x[i] / 127.5f) - 1f;
        }

        return result;
    }

    /// <summary>
    /// Keras' 'torch' mode: values in [0, 255] are scaled to [0, 1], then each RGB channel is standardized with the
    /// ImageNet mean (0.485, 0.456, 0.406) and standard deviation (0.229, 0.224, 0.225): y[..., c] = (x[..., c] / 255 - mean[c]) / std[c].
    /// </summary>
    /// <param name="images">Images, channels last (the last axis of 3 is RGB): (n, height, width, 3) or one (height, width, 3).</param>
    /// <returns>A new tensor of the same shape; <paramref name="images"/> is unchanged.</returns>
    /// <exception cref="ArgumentException">The last axis is not 3 channels.</exception>
    public static Tensor Torch(Tensor images)
    {
        RequireRgb(images, nameof(Torch));
        var result = new Tensor(images.Shape);
        ReadOnlySpan<float> x = images.AsReadOnlySpan();
        Span<float> y = result.AsSpan();
        for (int i = 0; i < x.Length; i++)
        {
            int c = i % 3;
            y[i] = ((x[i] / 255f) - RgbMean[c]) / RgbStd[c];
        }

        return result;
    }

    private static void RequireRgb(Tensor images, string mode)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rank < 1 || images.Shape[images.Rank - 1] != 3)
        {
            throw new ArgumentException(
                $"ImageNetPreprocessing.{mode} expects images with 3 channels (RGB) on the last axis. Received: images of shape {images.Shape}.", nameof(images));
        }
    }
}
