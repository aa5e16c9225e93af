using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NeuralNet.Kernels;

// The convolution-with-max-pooling kernels over 16-float vectors: twins of ForwardWindows and BackwardWindows, used where
// ForwardPixels512 is (UsesVector512).
internal static partial class ConvDirect
{
    // ForwardWindows over 16-float vectors (see ConvDirect.Vector512.cs): each lane does the same operations, so the same bits.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardWindows512(ref float x, in PoolingWindows windows, ImageTaps taps, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, bool relu,
        Span<float> pooled, Span<int> argmax)
    {
        int o1 = taps.O1, o2 = taps.O2, o3 = taps.O3, o4 = taps.O4, o5 = taps.O5, o6 = taps.O6, o7 = taps.O7, o8 = taps.O8;
        int filters = windows.Filters, kh = windows.Height, kw = windows.Width, rowStep = windows.RowStep, columnStep = windows.ColumnStep;
        int outHeight = windows.OutHeight, outWidth = windows.OutWidth;
        ref float y = ref MemoryMarshal.GetReference(pooled);
        ref int arg = ref MemoryMarshal.GetReference(argmax);
        for (int j = 0; j < filters; j += Vector512<float>.Count)
        {
            Vector512<float> w0 = Weight512(kernel, 0, Small, filters, j), w1 = Weight512(kernel, 1, Small, filters, j), w2 = Weight512(kernel, 2, Small, filters, j);
            Vector512<float> w3 = Weight512(kernel, 3, Small, filters, j), w4 = Weight512(kernel, 4, Small, filters, j), w5 = Weight512(kernel, 5, Small, filters, j);
            Vector512<float> w6 = Weight512(kernel, 6, Small, filters, j), w7 = Weight512(kernel, 7, Small, filters, j), w8 = Weight512(kernel, 8, Small, filters, j);
            Vector512<float> b = bias.IsEmpty ? Vector512<float>.Zero : Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(bias), (nuint)j);
            for (int oy = 0, cell = 0; oy < outHeight; oy++)
            {
                for (int ox = 0; ox < outWidth; ox++, cell++)
                {
                    int corner = (oy * kh * rowStep) + (ox * kw * columnStep);
                    Vector512<float> best = Vector512<float>.Zero;
                    Vector512<int> bestK = Vector512<int>.Zero;
                    for (int ky = 0, k = 0; ky < kh; ky++)
                    {
                        for (int kx = 0; kx < kw; kx++, k++)
                        {
                            ref float p = ref Unsafe.Add(ref x, corner + (ky * rowStep) + (kx * columnStep));
                            Vector512<float> acc = b + (Vector512.Create(p) * w0) + (Vector512.Create(Unsafe.Add(ref p, o1)) * w1) + (Vector512.Create(Unsafe.Add(ref p, o2)) * w2);
                            acc += (Vector512.Create(Unsafe.Add(ref p, o3)) * w3) + (Vector512.Create(Unsafe.Add(ref p, o4)) * w4) + (Vector512.Create(Unsafe.Add(ref p, o5)) * w5);
                            acc += (Vector512.Create(Unsafe.Add(ref p, o6)) * w6) + (Vector512.Create(Unsafe.Add(ref p, o7)) * w7) + (Vector512.Create(Unsafe.Add(ref p, o8)) * w8);
                            if (relu)
                            {
                                acc = Vector512.Max(acc, Vector512<float>.Zero);
                            }

                            Vector512<int> take = k == 0 ? Vector512<int>.AllBitsSet : Vector512.GreaterThan(acc, best).AsInt32();
                            best = Vector512.ConditionalSelect(take.AsSingle(), acc, best);
                            bestK = Vector512.ConditionalSelect(take, Vector512.Create(k), bestK);
                        }
                    }

                    nuint o = (nuint)((cell * filters) + j);
                    best.StoreUnsafe(ref y, o);
                    if (relu)
                    {
                        bestK = Vector512.ConditionalSelect(Vector512.GreaterThan(best, Vector512<float>.Zero).AsInt32(), bestK, Vector512.Create(-1));
                    }

                    bestK.StoreUnsafe(ref arg, o);
                }
            }
        }
    }

    // BackwardWindows over 16-float vectors.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardWindows512(ref float x, ImageTaps taps, ReadOnlySpan<float> pooledGradient, ReadOnlySpan<int> argmax, ReadOnlySpan<int> starts,
        ReadOnlySpan<int> cells, ReadOnlySpan<int> indices, int filters, Span<float> kernelGradient, Span<float> biasGradient)
    {
        int o1 = taps.O1, o2 = taps.O2, o3 = taps.O3, o4 = taps.O4, o5 = taps.O5, o6 = taps.O6, o7 = taps.O7, o8 = taps.O8;
        ref float g = ref MemoryMarshal.GetReference(pooledGradient);
        ref int arg = ref MemoryMarshal.GetReference(argmax);
        ref int startRef = ref MemoryMarshal.GetReference(starts);
        ref int cellRef = ref MemoryMarshal.GetReference(cells);
        ref int indexRef = ref MemoryMarshal.GetReference(indices);
        for (int j = 0; j < filters; j += Vector512<float>.Count)
        {
            Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default, d6 = default, d7 = default, d8 = default, db = default;
            for (int q = 0; q < starts.Length; q++)
            {
                nuint o = (nuint)(Unsafe.Add(ref cellRef, q) + j);
                Vector512<float> dz = Vector512.ConditionalSelect(Vector512.Equals(Vector512.LoadUnsafe(ref arg, o), Vector512.Create(Unsafe.Add(ref indexRef, q))).AsSingle(), Vector512.LoadUnsafe(ref g, o), Vector512<float>.Zero);
                ref float p = ref Unsafe.Add(ref x, Unsafe.Add(ref startRef, q));
                db += dz;
                d0 += Vector512.Create(p) * dz;
                d1 += Vector512.Create(Unsafe.Add(ref p, o1)) * dz;
                d2 += Vector512.Create(Unsafe.Add(ref p, o2)) * dz;
                d3 += Vector512.Create(Unsafe.Add(ref p, o3)) * dz;
                d4 += Vector512.Create(Unsafe.Add(ref p, o4)) * dz;
                d5 += Vector512.Create(Unsafe.Add(ref p, o5)) * dz;
                d6 += Vector512.Create(Unsafe.Add(ref p, o6)) * dz;
                d7 += Vector512.Create(Unsafe.Add(ref p, o7)) * dz;
                d8 += Vector512.Create(Unsafe.Add(ref p, o8)) * dz;
            }

            AddWeight512(kernelGradient, 0, Small, filters, j, d0);
            AddWeight512(kernelGradient, 1, Small, filters, j, d1);
            AddWeight512(kernelGradient, 2, Small, filters, j, d2);
            AddWeight512(kernelGradient, 3, Small, filters, j, d3);
            AddWeight512(kernelGradient, 4, Small, filters, j, d4);
            AddWeight512(kernelGradient, 5, Small, filters, j, d5);
            AddWeight512(kernelGradient, 6, Small, filters, j, d6);
            AddWeight512(kernelGradient, 7, Small, filters, j, d7);
            AddWeight512(kernelGradient, 8, Small, filters, j, d8);
            if (!biasGradient.IsEmpty)
            {
                AddWeight512(biasGradient, 0, 1, filters, j, db);
            }
        }
    }
}
