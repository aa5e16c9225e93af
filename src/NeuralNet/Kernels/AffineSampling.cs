using NeuralNet.Layers;

namespace NeuralNet.Kernels;

/// <summary>
/// Keras' <c>ops.image.affine_transform</c> (and <c>perspective_transform</c>'s projective sampling) on one
/// channels-last image, and its adjoint: the one sampler of <see cref="RandomRotation"/>, <see cref="RandomZoom"/>,
/// <see cref="RandomTranslation"/>, <see cref="RandomShear"/> and <see cref="RandomPerspective"/>, whose corner gather,
/// scatter and reference corner <see cref="ElasticDeformation"/> (<see cref="RandomElasticTransform"/>) shares.
/// </summary>
/// <remarks>
/// <code>
/// x, y (H, W, C); transform = Keras' [a0, a1, a2, b0, b1, b2] (affine: its projective c0, c1 are 0), or all eight
/// [a0, a1, a2, b0, b1, b2, c0, c1] (projective, RandomPerspective's homography), k = c0·ox + c1·oy + 1 (1 when affine)
/// y[oy, ox, c] = sample(x, xs = (a0·ox + a1·oy + a2) / k, ys = (b0·ox + b1·oy + b2) / k, c)
/// bilinear: Σ over the corners (floor, floor + 1) of each axis of the products of 1 − t and t, t = frac(coordinate)
/// nearest:  the pixel at (round(ys), round(xs)), halves rounded away from zero as TensorFlow does
/// </code>
/// Each corner index outside the image is mapped back by the fill mode (Keras' index fixers): reflect (half-sample
/// symmetric), wrap (modulo), nearest (clamp); in constant mode an outside corner contributes fillValue · weight. For a
/// fixed transform the map is affine in x, so the gradient is its linear part transposed: <see cref="Backward"/>
/// scatters each output gradient to the same corners with the same weights.
/// </remarks>
internal static class AffineSampling
{
    /// <summary>The number of entries of an affine transform: [a0, a1, a2, b0, b1, b2].</summary>
    public const int TransformLength = 6;

    /// <summary>The number of entries of a projective transform: [a0, a1, a2, b0, b1, b2, c0, c1].</summary>
    public const int ProjectiveLength = 8;

    // A projective source point that is not finite (k = 0) or absurdly far is moved here: outside the image, so constant
    // mode (RandomPerspective's only mode) reads the fill value, and far inside the int range the corner arithmetic uses.
    private const double Far = -1e8;

    /// <summary>y (H, W, C) = x (H, W, C) sampled through <paramref name="transform"/>; overwrites.</summary>
    public static void Forward(ReadOnlySpan<float> x, int height, int width, int channels, ReadOnlySpan<double> transform,
        Interpolation interpolation, FillMode fillMode, float fillValue, Span<float> y)
    {
        int size = CheckLengths(x.Length, y.Length, height, width, channels, transform.Length);
        y[..size].Clear();
        for (int oy = 0; oy < height; oy++)
        {
            for (int ox = 0; ox < width; ox++)
            {
                Span<float> target = y.Slice(((oy * width) + ox) * channels, channels);
                (double xs, double ys) = Source(transform, ox, oy);
                if (interpolation == Interpolation.Nearest)
                {
                    Gather(x, height, width, RoundHalfAway(ys), RoundHalfAway(xs), 1f, fillMode, fillValue, target);
                    continue;
                }

                double floorX = Math.Floor(xs), floorY = Math.Floor(ys);
                int x0 = (int)floorX, y0 = (int)floorY;
                float tx = (float)(xs - floorX), ty = (float)(ys - floorY);
                Gather(x, height, width, y0, x0, (1 - ty) * (1 - tx), fillMode, fillValue, target);
                Gather(x, height, width, y0, x0 + 1, (1 - ty) * tx, fillMode, fillValue, target);
                Gather(x, height, width, y0 + 1, x0, ty * (1 - tx), fillMode, fillValue, target);
                Gather(x, height, width, y0 + 1, x0 + 1, ty * tx, fillMode, fillValue, target);
            }
        }
    }

    /// <summary>dx (H, W, C) = the transpose of <see cref="Forward"/>'s linear part applied to dy (H, W, C); overwrites.</summary>
    public static void Backward(ReadOnlySpan<float> dy, int height, int width, int channels, ReadOnlySpan<double> transform,
        Interpolation interpolation, FillMode fillMode, Span<float> dx)
    {
        int size = CheckLengths(dy.Length, dx.Length, height, width, channels, transform.Length);
        dx[..size].Clear();
        for (int oy = 0; oy < height; oy++)
        {
            for (int ox = 0; ox < width; ox++)
            {
                ReadOnlySpan<float> g = dy.Slice(((oy * width) + ox) * channels, channels);
                (double xs, double ys) = Source(transform, ox, oy);
                if (interpolation == Interpolation.Nearest)
                {
                    Scatter(g, height, width, RoundHalfAway(ys), RoundHalfAway(xs), 1f, fillMode, dx);
                    continue;
                }

                double floorX = Math.Floor(xs), floorY = Math.Floor(ys);
                int x0 = (int)floorX, y0 = (int)floorY;
                float tx = (float)(xs - floorX), ty = (float)(ys - floorY);
                Scatter(g, height, width, y0, x0, (1 - ty) * (1 - tx), fillMode, dx);
                Scatter(g, height, width, y0, x0 + 1, (1 - ty) * tx, fillMode, dx);
                Scatter(g, height, width, y0 + 1, x0, ty * (1 - tx), fillMode, dx);
                Scatter(g, height, width, y0 + 1, x0 + 1, ty * tx, fillMode, dx);
            }
        }
    }

    /// <summary>
    /// The plain twin of <see cref="Forward"/>: one output value at a time in float64, corners mapped with Keras' own
    /// index fixers (the triangular-wave formulas of its backends' <c>map_coordinates</c>), for tests.
    /// </summary>
    public static void ForwardReference(ReadOnlySpan<float> x, int height, int width, int channels, ReadOnlySpan<double> transform,
        Interpolation interpolation, FillMode fillMode, double fillValue, Span<double> y)
    {
        for (int oy = 0; oy < height; oy++)
        {
            for (int ox = 0; ox < width; ox++)
            {
                // Written out again rather than through Source, so the twin checks the projective division too.
                double k = transform.Length >= ProjectiveLength ? (transform[6] * ox) + (transform[7] * oy) + 1.0 : 1.0;
                double xs = ((transform[0] * ox) + (transform[1] * oy) + transform[2]) / k;
                double ys = ((transform[3] * ox) + (transform[4] * oy) + transform[5]) / k;
                for (int c = 0; c < channels; c++)
                {
                    double value = 0;
                    if (interpolation == Interpolation.Nearest)
                    {
                        value = ReferenceCorner(x, height, width, channels, c, (long)Math.Round(ys, MidpointRounding.AwayFromZero),
                            (long)Math.Round(xs, MidpointRounding.AwayFromZero), fillMode, fillValue);
                    }
                    else
                    {
                        long y0 = (long)Math.Floor(ys), x0 = (long)Math.Floor(xs);
                        double ty = ys - y0, tx = xs - x0;
                        value += (1 - ty) * (1 - tx) * ReferenceCorner(x, height, width, channels, c, y0, x0, fillMode, fillValue);
                        value += (1 - ty) * tx * ReferenceCorner(x, height, width, channels, c, y0, x0 + 1, fillMode, fillValue);
                        value += ty * (1 - tx) * ReferenceCorner(x, height, width, channels, c, y0 + 1, x0, fillMode, fillValue);
                        value += ty * tx * ReferenceCorner(x, height, width, channels, c, y0 + 1, x0 + 1, fillMode, fillValue);
                    }

                    y[(((oy * width) + ox) * channels) + c] = value;
                }
            }
        }
    }

    /// <summary>
    /// Maps a corner index into [0, n) by the fill mode; false in constant mode when it lies outside (the corner then
    /// reads the fill value).
    /// </summary>
    public static bool Resolve(int index, int n, FillMode fillMode, out int resolved)
    {
        switch (fillMode)
        {
            case FillMode.Constant:
                resolved = index;
                return (uint)index < (uint)n;
            case FillMode.Nearest:
                resolved = Math.Clamp(index, 0, n - 1);
                return true;
            case FillMode.Wrap:
                resolved = ((index % n) + n) % n;
                return true;
            default:
                // Half-sample symmetric: period 2n, the second half mirrored (d c b a | a b c d | d c b a).
                int period = 2 * n, m = ((index % period) + period) % period;
                resolved = m < n ? m : period - 1 - m;
                return true;
        }
    }

    /// <summary>
    /// The input point output pixel (ox, oy) reads: affine for a transform of 6 entries, projective (divided by k) for
    /// 8 or more. A projective point that is not finite or lies beyond 1e8 becomes (−1e8, −1e8), outside the image.
    /// </summary>
    public static (double X, double Y) Source(ReadOnlySpan<double> transform, int ox, int oy)
    {
        double xs = (transform[0] * ox) + (transform[1] * oy) + transform[2];
        double ys = (transform[3] * ox) + (transform[4] * oy) + transform[5];
        if (transform.Length < ProjectiveLength)
        {
            return (xs, ys);
        }

        double k = (transform[6] * ox) + (transform[7] * oy) + 1.0;
        xs /= k;
        ys /= k;
        return Math.Abs(xs) < -Far && Math.Abs(ys) < -Far ? (xs, ys) : (Far, Far);
    }

    private static int RoundHalfAway(double value) => (int)Math.Round(value, MidpointRounding.AwayFromZero);

    /// <summary>Adds weight · x[row, column, :] (or weight · fillValue for a constant-mode corner outside) to target.</summary>
    public static void Gather(ReadOnlySpan<float> x, int height, int width, int row, int column, float weight, FillMode fillMode, float fillValue, Span<float> target)
    {
        if (weight == 0f)
        {
            return;
        }

        if (Resolve(row, height, fillMode, out int r) & Resolve(column, width, fillMode, out int c))
        {
            ReadOnlySpan<float> pixel = x.Slice(((r * width) + c) * target.Length, target.Length);
            for (int k = 0; k < target.Length; k++)
            {
                target[k] += weight * pixel[k];
            }
        }
        else
        {
            for (int k = 0; k < target.Length; k++)
            {
                target[k] += weight * fillValue;
            }
        }
    }

    /// <summary>The adjoint of <see cref="Gather"/>: adds weight · g to dx[row, column, :] (nothing for a constant-mode corner outside).</summary>
    public static void Scatter(ReadOnlySpan<float> g, int height, int width, int row, int column, float weight, FillMode fillMode, Span<float> dx)
    {
        if (weight == 0f || !(Resolve(row, height, fillMode, out int r) & Resolve(column, width, fillMode, out int c)))
        {
            return;
        }

        Span<float> pixel = dx.Slice(((r * width) + c) * g.Length, g.Length);
        for (int k = 0; k < g.Length; k++)
        {
            pixel[k] += weight * g[k];
        }
    }

    /// <summary>
    /// The float64 reference's corner: channel c of x[row, column], its indices mapped by Keras' own index fixers
    /// (<c>_INDEX_FIXERS</c>, keras/src/backend/*/image.py: mirror is the integer triangular wave, reflect is built on
    /// it), or fillValue outside in constant mode.
    /// </summary>
    public static double ReferenceCorner(ReadOnlySpan<float> x, int height, int width, int channels, int c, long row, long column, FillMode fillMode, double fillValue)
    {
        static long Floored(long a, long b) => ((a % b) + b) % b;
        static long Mirror(long index, long size)
        {
            long s = size - 1;
            return s <= 0 ? 0 : Math.Abs(Floored(index + s, 2 * s) - s);
        }

        static long Fix(long index, long size, FillMode mode) => mode switch
        {
            FillMode.Nearest => Math.Clamp(index, 0, size - 1),
            FillMode.Wrap => Floored(index, size),
            FillMode.Reflect => (long)Math.Floor((Mirror((2 * index) + 1, (2 * size) + 1) - 1) / 2.0),
            _ => index,
        };

        long r = Fix(row, height, fillMode), col = Fix(column, width, fillMode);
        return r < 0 || r >= height || col < 0 || col >= width ? fillValue : x[(int)((((r * width) + col) * channels) + c)];
    }

    private static int CheckLengths(int source, int destination, int height, int width, int channels, int transform)
    {
        int size = checked(height * width * channels);
        if (source < size || destination < size || transform < TransformLength)
        {
            throw new ArgumentException($"AffineSampling needs images of {height}x{width}x{channels} = {size} values and a transform of {TransformLength}; got {source}, {destination} and {transform}.");
        }

        return size;
    }
}
