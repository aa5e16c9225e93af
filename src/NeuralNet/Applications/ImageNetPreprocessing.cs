namespace NeuralNet.Applications;

/// <summary>
/// Keras' <c>imagenet_utils.preprocess_input</c> for channels-last float32 images, in the two modes the applications
/// here use. Each step rounds to float32 as Keras' NumPy path does (a float32 array and a Python scalar).
/// </summary>
internal static class ImageNetPreprocessing
{
    /// <summary>The ImageNet mean of each channel in BGR order (Keras' caffe mode).</summary>
    private static readonly float[] BgrMean = [103.939f, 116.779f, 123.68f];

    /// <summary>'caffe': RGB -> BGR along the last axis, then the mean of each channel subtracted: y[..., c] = x[..., 2 - c] - mean[c].</summary>
    public static Tensor Caffe(Tensor images, string family)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rank < 1 || images.Shape[images.Rank - 1] != 3)
        {
            throw new ArgumentException(
                $"{family}.PreprocessInput expects images with 3 channels (RGB) on the last axis. Received: images of shape {images.Shape}.", nameof(images));
        }

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

    /// <summary>'tf': scaled to [-1, 1] sample-wise: y = x / 127.5 - 1.</summary>
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
}
