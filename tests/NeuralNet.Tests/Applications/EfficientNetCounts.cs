namespace NeuralNet.Tests.Applications;

/// <summary>
/// The parameters Keras' efficientnet.py and efficientnet_v2.py create, written out from their block arguments (not
/// from the code under test): convolutions without bias except the squeeze-and-excitation ones, 4 weights per
/// batch-normalized channel of which the 2 moving statistics are not trainable, and for EfficientNet (V1) the
/// Normalization layer's mean (3), variance (3) and count (1), none trainable.
/// </summary>
internal static class EfficientNetCounts
{
    // (kernel, repeats, filters in, filters out, expansion, SE ratio, fused): efficientnet.py's DEFAULT_BLOCKS_ARGS (SE 0.25 everywhere).
    private static readonly (int K, int R, int In, int Out, int E, double Se, bool Fused)[] V1Stages =
    [
        (3, 1, 32, 16, 1, 0.25, false), (3, 2, 16, 24, 6, 0.25, false), (5, 2, 24, 40, 6, 0.25, false), (3, 3, 40, 80, 6, 0.25, false),
        (5, 3, 80, 112, 6, 0.25, false), (5, 4, 112, 192, 6, 0.25, false), (3, 1, 192, 320, 6, 0.25, false),
    ];

    // efficientnet_v2.py's DEFAULT_BLOCKS_ARGS (conv_type 1 = fused).
    private static readonly Dictionary<string, (int K, int R, int In, int Out, int E, double Se, bool Fused)[]> V2Stages = new()
    {
        ["b"] = [(3, 1, 32, 16, 1, 0, true), (3, 2, 16, 32, 4, 0, true), (3, 2, 32, 48, 4, 0, true), (3, 3, 48, 96, 4, 0.25, false), (3, 5, 96, 112, 6, 0.25, false), (3, 8, 112, 192, 6, 0.25, false)],
        ["s"] = [(3, 2, 24, 24, 1, 0, true), (3, 4, 24, 48, 4, 0, true), (3, 4, 48, 64, 4, 0, true), (3, 6, 64, 128, 4, 0.25, false), (3, 9, 128, 160, 6, 0.25, false), (3, 15, 160, 256, 6, 0.25, false)],
        ["m"] = [(3, 3, 24, 24, 1, 0, true), (3, 5, 24, 48, 4, 0, true), (3, 5, 48, 80, 4, 0, true), (3, 7, 80, 160, 4, 0.25, false), (3, 14, 160, 176, 6, 0.25, false), (3, 18, 176, 304, 6, 0.25, false), (3, 5, 304, 512, 6, 0.25, false)],
        ["l"] = [(3, 4, 32, 32, 1, 0, true), (3, 7, 32, 64, 4, 0, true), (3, 7, 64, 96, 4, 0, true), (3, 10, 96, 192, 4, 0.25, false), (3, 19, 192, 224, 6, 0.25, false), (3, 25, 224, 384, 6, 0.25, false), (3, 7, 384, 640, 6, 0.25, false)],
    };

    /// <summary>(total, non-trainable) of Keras' EfficientNet with these coefficients.</summary>
    public static (long Total, long NonTrainable) V1(double width, double depth, bool top, int classes = 1000)
    {
        int Round(int f)
        {
            double v = f * width;
            int n = Math.Max(8, (int)Math.Floor(v + 4) / 8 * 8);
            return n < 0.9 * v ? n + 8 : n;
        }

        return Count(Round, depth, V1Stages, top, classes, normalization: 7);
    }

    /// <summary>(total, non-trainable) of Keras' EfficientNetV2 with these coefficients and stages ("b", "s", "m", "l").</summary>
    public static (long Total, long NonTrainable) V2(double width, double depth, string stages, bool top, int classes = 1000) =>
        Count(f => Math.Max(8, (int)Math.Floor((f * width) + 4) / 8 * 8), depth, V2Stages[stages], top, classes, normalization: 0);

    private static (long, long) Count(Func<int, int> round, double depth, (int K, int R, int In, int Out, int E, double Se, bool Fused)[] stages, bool top, int classes, int normalization)
    {
        long total = normalization, moving = normalization;
        void Norm(int c)
        {
            total += 4L * c;
            moving += 2L * c;
        }

        int stem = round(stages[0].In);
        total += 27L * stem;
        Norm(stem);
        int fo = stem;
        foreach (var (k, r, fIn, fOut, e, se, fused) in stages)
        {
            int fi = round(fIn);
            fo = round(fOut);
            for (int j = 0; j < (int)Math.Ceiling(depth * r); j++)
            {
                fi = j > 0 ? fo : fi;
                int f = fi * e;
                if (e != 1)
                {
                    total += (fused ? (long)k * k : 1L) * fi * f;
                    Norm(f);
                }

                if (!fused)
                {
                    total += (long)k * k * f;
                    Norm(f);
                }

                if (se > 0)
                {
                    int s = Math.Max(1, (int)(fi * se));
                    total += ((long)f * s) + s + ((long)s * f) + f;
                }

                total += (fused && e == 1 ? (long)k * k : 1L) * f * fo;
                Norm(fo);
            }
        }

        int last = round(1280);
        total += (long)fo * last;
        Norm(last);
        if (top)
        {
            total += ((long)last * classes) + classes;
        }

        return (total, moving);
    }
}
