namespace NeuralNet.Kernels;

/// <summary>
/// Moves channels into space and back (TensorFlow's <c>depth_to_space</c> / <c>space_to_depth</c>, channels last, DCR order):
/// depth is (n, h, w, b*b*c), space is (n, h*b, w*b, c), and depth channel <c>(bi*b + bj)*c + k</c> of pixel (i, j) is
/// channel k of space pixel (i*b + bi, j*b + bj). Both move runs of c contiguous values; the two are each other's
/// inverse, so each is the other's backward pass.
/// </summary>
internal static class DepthSpace
{
    // depth is (n, h, w, b*b*c), space is (n, h*b, w*b, c).
    public static void DepthToSpace(ReadOnlySpan<float> depth, Span<float> space, int samples, int height, int width, int channels, int block) =>
        Move(depth, space, samples, height, width, channels, block, toSpace: true);

    // space is (n, h*b, w*b, c), depth is (n, h, w, b*b*c); h and w are the depth side's.
    public static void SpaceToDepth(ReadOnlySpan<float> space, Span<float> depth, int samples, int height, int width, int channels, int block) =>
        Move(space, depth, samples, height, width, channels, block, toSpace: false);

    private static void Move(ReadOnlySpan<float> source, Span<float> destination, int samples, int height, int width, int channels, int block, bool toSpace)
    {
        long length = (long)samples * height * width * block * block * channels;
        if (source.Length != length || destination.Length != length)
        {
            throw new ArgumentException($"DepthSpace expects {length} values on each side for (n={samples}, h={height}, w={width}, c={channels}, block={block}) but got {source.Length} and {destination.Length}.");
        }

        int spaceWidth = width * block;
        for (int n = 0; n < samples; n++)
        {
            for (int i = 0; i < height; i++)
            {
                for (int bi = 0; bi < block; bi++)
                {
                    int spaceRow = ((n * height * block) + (i * block) + bi) * spaceWidth;
                    for (int j = 0; j < width; j++)
                    {
                        int depthPixel = ((((n * height) + i) * width) + j) * block * block * channels;
                        for (int bj = 0; bj < block; bj++)
                        {
                            int d = depthPixel + (((bi * block) + bj) * channels);
                            int s = (spaceRow + (j * block) + bj) * channels;
                            if (toSpace)
                            {
                                source.Slice(d, channels).CopyTo(destination.Slice(s, channels));
                            }
                            else
                            {
                                source.Slice(s, channels).CopyTo(destination.Slice(d, channels));
                            }
                        }
                    }
                }
            }
        }
    }
}
