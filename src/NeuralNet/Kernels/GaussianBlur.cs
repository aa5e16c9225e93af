namespace NeuralNet.Kernels;

/// <summary>
/// Keras' <c>gaussian_blur</c> (keras/src/backend/*/image.py) on one channels-last image: the 1-D kernels, and the
/// blur itself, a depthwise correlation with their outer product and zero "same" padding, here in two separable passes.
/// A plain float64 twin applies the 2-D kernel directly.
/// </summary>
/// <remarks>
/// <code>
/// kernel1d(size, σ)[i] = e_i / Σ e,  e_i = exp(−0.5 · ((i − (size − 1) / 2) / σ)²)          (float32, as Keras)
/// kernel2d = outer(kernel1d(size, σ[1]), kernel1d(size, σ[0]))   rows along the height: σ[1] blurs the height, σ[0] the width
/// y[r, c, k] = Σ_{i, j} kernel2d[i, j] · x[r + i − size/2, c + j − size/2, k]   (zero outside the image: TensorFlow's
///              depthwise_conv2d padding "SAME", the NumPy backend's np.pad "constant")
/// image, scratch, destination: (height, width, channels)
/// </code>
/// The 1-D kernels are symmetric (the offsets ±d square to the same float), so the blur is its own transpose: the
/// backward pass blurs the output gradient with the same kernels.
/// </remarks>
internal static class GaussianBlur
{
    /// <summary>Keras' <c>_get_gaussian_kernel1d</c> in float32: <paramref name="destination"/>.Length taps of standard deviation <paramref name="sigma"/>, summing to 1.</summary>
    public static void Kernel(float sigma, Span<float> destination)
    {
        int size = destination.Length;
        float half = (size - 1) / 2f, sum = 0f;
        for (int i = 0; i < size; i++)
        {
            float z = (i - half) / sigma;
            destination[i] = MathF.Exp(-0.5f * (z * z));
            sum += destination[i];
        }

        for (int i = 0; i < size; i++)
        {
            destination[i] /= sum;
        }
    }

    /// <summary>
    /// Blurs one image: along the width with <paramref name="widthKernel"/> into <paramref name="scratch"/>, then along
    /// the height with <paramref name="heightKernel"/> into <paramref name="destination"/>; zero padding, odd kernels.
    /// </summary>
    /// <exception cref="ArgumentException">A length does not match the shape, or a kernel is of even length.</exception>
    public static void Blur(ReadOnlySpan<float> image, int height, int width, int channels, ReadOnlySpan<float> heightKernel, ReadOnlySpan<float> widthKernel, Span<float> scratch, Span<float> destination)
    {
        int size = height * width * channels;
        if (image.Length != size || scratch.Length != size || destination.Length != size || heightKernel.Length % 2 == 0 || widthKernel.Length % 2 == 0)
        {
            throw new ArgumentException($"Gaussian blur expects an image, scratch and destination of {height}·{width}·{channels} = {size} values and odd kernels; got {image.Length}, {scratch.Length}, {destination.Length} values and kernels of {heightKernel.Length} and {widthKernel.Length}.");
        }

        int rowLength = width * channels, halfWidth = widthKernel.Length / 2, halfHeight = heightKernel.Length / 2;
        for (int r = 0; r < height; r++)
        {
            ReadOnlySpan<float> row = image.Slice(r * rowLength, rowLength);
            Span<float> target = scratch.Slice(r * rowLength, rowLength);
            for (int c = 0; c < width; c++)
            {
                // Taps that fall outside the image read zeros: they are skipped.
                int first = Math.Max(0, halfWidth - c), last = Math.Min(widthKernel.Length, width - c + halfWidth);
                for (int k = 0; k < channels; k++)
                {
                    float sum = 0f;
                    for (int j = first; j < last; j++)
                    {
                        sum += widthKernel[j] * row[((c + j - halfWidth) * channels) + k];
                    }

                    target[(c * channels) + k] = sum;
                }
            }
        }

        for (int r = 0; r < height; r++)
        {
            int first = Math.Max(0, halfHeight - r), last = Math.Min(heightKernel.Length, height - r + halfHeight);
            Span<float> target = destination.Slice(r * rowLength, rowLength);
            target.Clear();
            for (int i = first; i < last; i++)
            {
                float weight = heightKernel[i];
                ReadOnlySpan<float> source = scratch.Slice((r + i - halfHeight) * rowLength, rowLength);
                for (int e = 0; e < rowLength; e++)
                {
                    target[e] += weight * source[e];
                }
            }
        }
    }

    /// <summary>Plain float64 twin of <see cref="Kernel"/>.</summary>
    public static double[] KernelReference(int size, double sigma)
    {
        var kernel = new double[size];
        for (int i = 0; i < size; i++)
        {
            double z = (i - ((size - 1) / 2.0)) / sigma;
            kernel[i] = Math.Exp(-0.5 * z * z);
        }

        double sum = kernel.Sum();
        return Array.ConvertAll(kernel, v => v / sum);
    }

    /// <summary>Plain float64 twin of <see cref="Blur"/>: the 2-D kernel, outer(height kernel, width kernel), applied directly.</summary>
    public static double[] BlurReference(ReadOnlySpan<double> image, int height, int width, int channels, double[] heightKernel, double[] widthKernel)
    {
        var result = new double[image.Length];
        int halfHeight = heightKernel.Length / 2, halfWidth = widthKernel.Length / 2;
        for (int r = 0; r < height; r++)
        {
            for (int c = 0; c < width; c++)
            {
                for (int k = 0; k < channels; k++)
                {
                    double sum = 0;
                    for (int i = 0; i < heightKernel.Length; i++)
                    {
                        for (int j = 0; j < widthKernel.Length; j++)
                        {
                            int sr = r + i - halfHeight, sc = c + j - halfWidth;
                            if (sr >= 0 && sr < height && sc >= 0 && sc < width)
                            {
                                sum += heightKernel[i] * widthKernel[j] * image[(((sr * width) + sc) * channels) + k];
                            }
                        }
                    }

                    result[(((r * width) + c) * channels) + k] = sum;
                }
            }
        }

        return result;
    }
}
