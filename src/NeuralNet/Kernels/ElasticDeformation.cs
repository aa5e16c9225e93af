using NeuralNet.Layers;

namespace NeuralNet.Kernels;

/// <summary>
/// Keras' <c>ops.image.elastic_transform</c> (keras/src/backend/*/image.py) given its noise, on one channels-last image,
/// and its adjoint: the parameters <see cref="RandomElasticTransform"/> derives from its drawn distortion, the smoothed
/// displacement fields, and the sampling of the image at the displaced points.
/// </summary>
/// <remarks>
/// <code>
/// distortion f (float32) -> alpha = max(H, W) · (0.1 · f), σ = min(H, W) · (0.05 · f)   (float32, get_elastic_transform_params)
/// kernel size K = int(6σ) | 1 (odd); kernel1d(K, σ)[i] ∝ exp(−0.5 · ((i − (K − 1) / 2) / σ)²), summing to 1 (float32)
/// noise n (H, W), standard normal -> displacement d = alpha · blur(σ · n)   (blur: Keras' gaussian_blur, K x K, zero padding)
/// y[oy, ox, c] = sample(x, xs = ox + dx[oy, ox], ys = oy + dy[oy, ox], c)   (map_coordinates, order 0 or 1)
/// bilinear: Σ over the corners (floor, floor + 1) of each axis of the products of 1 − t and t, t = frac(coordinate)
/// nearest:  the pixel at (round(ys), round(xs)), halves to even (tf.round, torch.round, jnp.round)
/// </code>
/// Corners outside the image are mapped back by the fill mode as <see cref="AffineSampling"/> does (Keras' index fixers
/// of map_coordinates are the ones of affine_transform). A kernel longer than 2 · max(H, W) − 1 has taps that never
/// reach a pixel: only the central ones are kept, normalised by the sum over all K. For fixed displacements the map is
/// linear in x, so <see cref="Backward"/> scatters each output gradient to the same corners with the same weights.
/// </remarks>
internal static class ElasticDeformation
{
    /// <summary>
    /// Coordinates are clamped to ±2³⁰, where Keras' int32 indices would overflow too: only a scale in the thousands
    /// displaces that far.
    /// </summary>
    private const double Far = 1 << 30;

    /// <summary>
    /// Keras' <c>get_elastic_transform_params</c> and kernel size, in float32 as Keras computes them: alpha scales the
    /// smoothed noise, σ is the blur's standard deviation and the noise's scale, K = int(6σ) | 1 its taps.
    /// </summary>
    public static (float Alpha, float Sigma, long KernelSize) Parameters(int height, int width, float distortion)
    {
        float alpha = Math.Max(height, width) * (0.1f * distortion);
        float sigma = Math.Min(height, width) * (0.05f * distortion);
        // Saturated before the cast: a float beyond long's range converts to long.MinValue on .NET 8 (saturating from .NET 9).
        double taps = Math.Min((double)(6f * sigma), long.MaxValue / 2);
        return (alpha, sigma, ((long)taps) | 1);
    }

    /// <summary>
    /// Keras' <c>_get_gaussian_kernel1d(size, σ)</c> in float32, of which the <paramref name="destination"/>.Length
    /// (odd, at most <paramref name="size"/>) central taps are kept, each divided by the sum of all <paramref name="size"/>.
    /// When both lengths agree, the same bits as <see cref="GaussianBlur.Kernel"/>.
    /// </summary>
    public static void Kernel(float sigma, long size, Span<float> destination)
    {
        if (destination.Length % 2 == 0 || destination.Length > size || size % 2 == 0)
        {
            throw new ArgumentException($"The elastic kernel keeps an odd number of central taps, at most its {size} (odd); got {destination.Length}.");
        }

        float half = (size - 1) / 2f, sum = 0f;
        long offset = (size - destination.Length) / 2;
        for (long i = 0; i < size; i++)
        {
            float z = (i - half) / sigma;
            float e = MathF.Exp(-0.5f * (z * z));
            sum += e;
            long kept = i - offset;
            if (kept >= 0 && kept < destination.Length)
            {
                destination[(int)kept] = e;
            }
        }

        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] /= sum;
        }
    }

    /// <summary>
    /// One displacement field (H, W) = alpha · blur(σ · noise) with <paramref name="kernel"/> (from <see cref="Kernel"/>)
    /// along both axes; zero everywhere when σ is 0 (a drawn distortion of exactly 0, where Keras' kernel divides 0 by 0:
    /// the limit of the formula).
    /// </summary>
    public static void Displacement(ReadOnlySpan<float> noise, int height, int width, float alpha, float sigma, ReadOnlySpan<float> kernel,
        Span<float> scaled, Span<float> scratch, Span<float> destination)
    {
        int plane = height * width;
        if (noise.Length != plane || scaled.Length != plane || scratch.Length != plane || destination.Length != plane)
        {
            throw new ArgumentException($"An elastic displacement field needs noise, scaled, scratch and destination of {height}·{width} = {plane} values; got {noise.Length}, {scaled.Length}, {scratch.Length} and {destination.Length}.");
        }

        if (!(sigma > 0f))
        {
            destination.Clear();
            return;
        }

        // Keras: normal(...).astype(float32) * sigma, then gaussian_blur, then alpha * dx (float32 throughout).
        for (int i = 0; i < plane; i++)
        {
            scaled[i] = noise[i] * sigma;
        }

        GaussianBlur.Blur(scaled, height, width, 1, kernel, kernel, scratch, destination);
        for (int i = 0; i < plane; i++)
        {
            destination[i] *= alpha;
        }
    }

    /// <summary>y (H, W, C) = x (H, W, C) sampled at (ox + dx, oy + dy) for the displacements (H, W); overwrites.</summary>
    public static void Forward(ReadOnlySpan<float> x, int height, int width, int channels, ReadOnlySpan<float> displacementX, ReadOnlySpan<float> displacementY,
        Interpolation interpolation, FillMode fillMode, float fillValue, Span<float> y)
    {
        int size = CheckLengths(x.Length, y.Length, height, width, channels, displacementX.Length, displacementY.Length);
        y[..size].Clear();
        for (int oy = 0; oy < height; oy++)
        {
            for (int ox = 0; ox < width; ox++)
            {
                int p = (oy * width) + ox;
                Span<float> target = y.Slice(p * channels, channels);
                (double xs, double ys) = Source(ox, oy, displacementX[p], displacementY[p]);
                if (interpolation == Interpolation.Nearest)
                {
                    AffineSampling.Gather(x, height, width, (int)Math.Round(ys), (int)Math.Round(xs), 1f, fillMode, fillValue, target);
                    continue;
                }

                double floorX = Math.Floor(xs), floorY = Math.Floor(ys);
                int x0 = (int)floorX, y0 = (int)floorY;
                float tx = (float)(xs - floorX), ty = (float)(ys - floorY);
                AffineSampling.Gather(x, height, width, y0, x0, (1 - ty) * (1 - tx), fillMode, fillValue, target);
                AffineSampling.Gather(x, height, width, y0, x0 + 1, (1 - ty) * tx, fillMode, fillValue, target);
                AffineSampling.Gather(x, height, width, y0 + 1, x0, ty * (1 - tx), fillMode, fillValue, target);
                AffineSampling.Gather(x, height, width, y0 + 1, x0 + 1, ty * tx, fillMode, fillValue, target);
            }
        }
    }

    /// <summary>dx (H, W, C) = the transpose of <see cref="Forward"/>'s linear part applied to dy (H, W, C); overwrites.</summary>
    public static void Backward(ReadOnlySpan<float> dy, int height, int width, int channels, ReadOnlySpan<float> displacementX, ReadOnlySpan<float> displacementY,
        Interpolation interpolation, FillMode fillMode, Span<float> dx)
    {
        int size = CheckLengths(dy.Length, dx.Length, height, width, channels, displacementX.Length, displacementY.Length);
        dx[..size].Clear();
        for (int oy = 0; oy < height; oy++)
        {
            for (int ox = 0; ox < width; ox++)
            {
                int p = (oy * width) + ox;
                ReadOnlySpan<float> g = dy.Slice(p * channels, channels);
                (double xs, double ys) = Source(ox, oy, displacementX[p], displacementY[p]);
                if (interpolation == Interpolation.Nearest)
                {
                    AffineSampling.Scatter(g, height, width, (int)Math.Round(ys), (int)Math.Round(xs), 1f, fillMode, dx);
                    continue;
                }

                double floorX = Math.Floor(xs), floorY = Math.Floor(ys);
                int x0 = (int)floorX, y0 = (int)floorY;
                float tx = (float)(xs - floorX), ty = (float)(ys - floorY);
                AffineSampling.Scatter(g, height, width, y0, x0, (1 - ty) * (1 - tx), fillMode, dx);
                AffineSampling.Scatter(g, height, width, y0, x0 + 1, (1 - ty) * tx, fillMode, dx);
                AffineSampling.Scatter(g, height, width, y0 + 1, x0, ty * (1 - tx), fillMode, dx);
                AffineSampling.Scatter(g, height, width, y0 + 1, x0 + 1, ty * tx, fillMode, dx);
            }
        }
    }

    /// <summary>
    /// Plain float64 twin of <see cref="Parameters"/>, <see cref="Kernel"/> and <see cref="Displacement"/>, written after
    /// Keras' NumPy backend: alpha and σ from the distortion, the full K-tap kernel, the 2-D zero-padded blur of σ · noise
    /// applied directly, times alpha. For tests.
    /// </summary>
    public static double[] DisplacementReference(ReadOnlySpan<float> noise, int height, int width, double distortion)
    {
        double alpha = Math.Max(height, width) * 0.1 * distortion, sigma = Math.Min(height, width) * 0.05 * distortion;
        int size = ((int)(6 * sigma)) | 1;
        double[] kernel = GaussianBlur.KernelReference(size, sigma);
        double[] scaled = new double[noise.Length];
        for (int i = 0; i < scaled.Length; i++)
        {
            scaled[i] = noise[i] * sigma;
        }

        double[] blurred = GaussianBlur.BlurReference(scaled, height, width, 1, kernel, kernel);
        return Array.ConvertAll(blurred, v => alpha * v);
    }

    /// <summary>
    /// Plain float64 twin of <see cref="Forward"/>, after Keras' <c>map_coordinates</c>: one output value at a time,
    /// the corners mapped with Keras' own index fixers (<see cref="AffineSampling.ReferenceCorner"/>). For tests.
    /// </summary>
    public static void ForwardReference(ReadOnlySpan<float> x, int height, int width, int channels, ReadOnlySpan<double> displacementX, ReadOnlySpan<double> displacementY,
        Interpolation interpolation, FillMode fillMode, double fillValue, Span<double> y)
    {
        for (int oy = 0; oy < height; oy++)
        {
            for (int ox = 0; ox < width; ox++)
            {
                double xs = ox + displacementX[(oy * width) + ox], ys = oy + displacementY[(oy * width) + ox];
                for (int c = 0; c < channels; c++)
                {
                    double value = 0;
                    if (interpolation == Interpolation.Nearest)
                    {
                        value = AffineSampling.ReferenceCorner(x, height, width, channels, c, (long)Math.Round(ys, MidpointRounding.ToEven),
                            (long)Math.Round(xs, MidpointRounding.ToEven), fillMode, fillValue);
                    }
                    else
                    {
                        long y0 = (long)Math.Floor(ys), x0 = (long)Math.Floor(xs);
                        double ty = ys - y0, tx = xs - x0;
                        value += (1 - ty) * (1 - tx) * AffineSampling.ReferenceCorner(x, height, width, channels, c, y0, x0, fillMode, fillValue);
                        value += (1 - ty) * tx * AffineSampling.ReferenceCorner(x, height, width, channels, c, y0, x0 + 1, fillMode, fillValue);
                        value += ty * (1 - tx) * AffineSampling.ReferenceCorner(x, height, width, channels, c, y0 + 1, x0, fillMode, fillValue);
                        value += ty * tx * AffineSampling.ReferenceCorner(x, height, width, channels, c, y0 + 1, x0 + 1, fillMode, fillValue);
                    }

                    y[(((oy * width) + ox) * channels) + c] = value;
                }
            }
        }
    }

    // Keras adds the float32 displacement to the integer grid (NumPy: in float64).
    private static (double X, double Y) Source(int ox, int oy, float dx, float dy) =>
        (Math.Clamp(ox + (double)dx, -Far, Far), Math.Clamp(oy + (double)dy, -Far, Far));

    private static int CheckLengths(int source, int destination, int height, int width, int channels, int displacementX, int displacementY)
    {
        int size = checked(height * width * channels), plane = height * width;
        if (source < size || destination < size || displacementX < plane || displacementY < plane)
        {
            throw new ArgumentException($"ElasticDeformation needs images of {height}x{width}x{channels} = {size} values and displacements of {plane}; got {source}, {destination}, {displacementX} and {displacementY}.");
        }

        return size;
    }
}
