using NeuralNet.Kernels;
using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Resizing, CenterCrop, RandomCrop (its inference form, Keras' <c>smart_resize</c>) and UpSampling2D written as the index arithmetic
/// NeuralNet does, one image axis at a time and in either layout: an axis cropped without resizing is a <c>Slice</c>; a
/// nearest resize is a <c>Gather</c> of the source rows (or columns) NeuralNet picks; a bilinear resize is two
/// <c>Gather</c>s, of the lower and the upper source rows, blended with NeuralNet's weights (<c>Mul</c>, <c>Add</c>).
/// Resizing's padToAspectRatio pads first with <c>Pad</c> (its fill value). Bicubic, Lanczos, area and antialiased
/// bilinear are a <c>MatMul</c> of the axis (moved last by <c>Transpose</c>) by the dense form of NeuralNet's weight table
/// (ResizeTables, compiled into this package from the core's source), so the file computes the same linear map on finite
/// pixels (the product multiplies a non-finite one by zeros, which Predict skips: it spreads along its row or column).
/// </summary>
/// <remarks>
/// ONNX's <c>Resize</c> (linear with half_pixel; nearest with half_pixel and round_prefer_ceil) samples the same
/// positions, but ONNX Runtime computes them in float32, NeuralNet in double: bilinear differed by up to 1.4e-5 ×
/// max |output| at 224×224 → 150×150 and 2e-5 at 180×180 → 224×224 on random images, beyond the exporter's 1e-5, so
/// the tables are written out instead. ONNX's cubic Resize (cubic_coeff_a −0.5, exclude_outside) computes Keys' cubic
/// from the exact fraction, while Keras' TensorFlow bicubic (and NeuralNet) reads TensorFlow's 1024-entry table, so the
/// two differ wherever the sample fraction is not a multiple of 1/1024 (upsampling by 3, most resizes); ONNX has no
/// Lanczos or area. The window and table formulas are those of NeuralNet's WindowResize,
/// Resampling.BilinearAxis and Resizing (internal to the core package); the export tests compare every case with Predict.
/// </remarks>
internal static class ResizeConverters
{
    /// <summary>Resizing: padded or cropped to the target's aspect ratio when asked, then resized (bilinear or nearest).</summary>
    public static OnnxValue Resizing(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var resizing = (Layers.Resizing)layer;
        OnnxValue x = inputs[0];
        int height = layer.InputShape[0], width = layer.InputShape[1];
        var window = new Window(0, 0, height, width);
        if (resizing.PadToAspectRatio)
        {
            // Keras pads floor((target-ratio size − size) / 2) on both ends of one axis (Resizing.OnBuild).
            int top = (Math.Max(height, (int)((double)width * resizing.Height / resizing.Width)) - height) / 2;
            int left = (Math.Max(width, (int)((double)height * resizing.Width / resizing.Height)) - width) / 2;
            (top, left) = top > 0 ? (top, 0) : (0, left);
            if (top > 0 || left > 0)
            {
                x = Pad(graph, x, top, left, (float)resizing.FillValue);
                window = new Window(0, 0, x.Shape[0], x.Shape[1]);
            }
        }
        else if (resizing.CropToAspectRatio)
        {
            window = AspectWindow(height, width, resizing.Height, resizing.Width);
        }

        return Resize(graph, x, window, resizing.Height, resizing.Width, resizing.Interpolation, resizing.Antialias, outputShape);
    }

    /// <summary>CenterCrop: the centered window (a Slice) when the image is large enough, else Keras' smart_resize fallback.</summary>
    public static OnnxValue CenterCrop(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var crop = (Layers.CenterCrop)layer;
        int height = layer.InputShape[0], width = layer.InputShape[1];
        Window window = height >= crop.Height && width >= crop.Width
            ? new Window((height - crop.Height) / 2, (width - crop.Width) / 2, crop.Height, crop.Width)
            : AspectWindow(height, width, crop.Height, crop.Width);
        return Resize(graph, inputs[0], window, crop.Height, crop.Width, Interpolation.Bilinear, false, outputShape);
    }

    /// <summary>RandomCrop at inference: the largest centered window with the target's aspect ratio, resized bilinearly.</summary>
    public static OnnxValue RandomCrop(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var crop = (Layers.RandomCrop)layer;
        Window window = AspectWindow(layer.InputShape[0], layer.InputShape[1], crop.Height, crop.Width);
        return Resize(graph, inputs[0], window, crop.Height, crop.Width, Interpolation.Bilinear, false, outputShape);
    }

    /// <summary>
    /// UpSampling2D: the whole image resized to (height · sizeH, width · sizeW), as NeuralNet's UpSampling2D computes it
    /// (Resampling.NearestForward repeats each pixel, which is the nearest table's floor((o + 0.5) / size) = floor(o / size);
    /// bilinear is the same WindowResize as Resizing's). A factor of 1 leaves its axis alone.
    /// </summary>
    public static OnnxValue UpSampling2D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var up = (Layers.UpSampling2D)layer;
        int height = layer.InputShape[0], width = layer.InputShape[1];
        return Resize(graph, inputs[0], new Window(0, 0, height, width), height * up.Size.Height, width * up.Size.Width, up.Interpolation, false, outputShape);
    }

    // The window (top, left, height, width) of the image that is resized to the output.
    private readonly record struct Window(int Top, int Left, int Height, int Width);

    // Keras' largest centered window with the target's aspect ratio, in whole pixels (WindowResize.AspectWindow).
    private static Window AspectWindow(int height, int width, int targetHeight, int targetWidth)
    {
        int cropHeight = Math.Max(Math.Min(height, (int)((double)width * targetHeight / targetWidth)), 1);
        int cropWidth = Math.Max(Math.Min(width, (int)((double)height * targetWidth / targetHeight)), 1);
        return new Window((height - cropHeight) / 2, (width - cropWidth) / 2, cropHeight, cropWidth);
    }

    // The image x padded by `top` rows above and below and `left` columns on each side, with `fill`.
    private static OnnxValue Pad(OnnxGraphBuilder graph, OnnxValue x, int top, int left, float fill)
    {
        // ONNX's pads: the begins of every axis, then the ends, in the value's layout.
        var pads = new long[8];
        int rows = OnnxGraphBuilder.AxisIn(x, 1), columns = OnnxGraphBuilder.AxisIn(x, 2);
        pads[rows] = pads[rows + 4] = top;
        pads[columns] = pads[columns + 4] = left;
        string padded = graph.Node("Pad", [x.Name, graph.Int64s("pads", pads), graph.Scalar("fill_value", fill)], OnnxAttribute.String("mode", "constant"));
        return x with { Name = padded, Shape = new TensorShape(x.Shape[0] + (2 * top), x.Shape[1] + (2 * left), x.Shape[2]) };
    }

    // The window of the image x resized to (outHeight, outWidth): rows, then columns.
    private static OnnxValue Resize(OnnxGraphBuilder graph, OnnxValue x, Window window, int outHeight, int outWidth, Interpolation interpolation, bool antialias,
        TensorShape outputShape)
    {
        int rows = OnnxGraphBuilder.AxisIn(x, 1), columns = OnnxGraphBuilder.AxisIn(x, 2);
        string y = ResizeAxis(graph, x.Name, rows, "rows", window.Top, window.Height, x.Shape[0], outHeight, interpolation, antialias);
        y = ResizeAxis(graph, y, columns, "columns", window.Left, window.Width, x.Shape[1], outWidth, interpolation, antialias);
        return new OnnxValue(y, outputShape, x.Layout);
    }

    // One axis: the `length` indices from `start` of `value` (whose axis has `size`) resized to `output`.
    private static string ResizeAxis(OnnxGraphBuilder graph, string value, int axis, string name, int start, int length, int size, int output, Interpolation interpolation,
        bool antialias)
    {
        if (length == output)
        {
            // Half-pixel sampling at scale 1 reads index o itself: a crop, or nothing.
            return start == 0 && length == size
                ? value
                : graph.Node("Slice", [value, graph.Int64s($"{name}_start", start), graph.Int64s($"{name}_end", start + length), graph.Int64s($"{name}_axis", axis)]);
        }

        if (ResizeTables.UsesTables(interpolation, antialias))
        {
            return MatMulAxis(graph, value, axis, name, size, ResizeTables.Build(interpolation, antialias, length, output, start));
        }

        (long[] lower, long[] upper, float[] weight) = interpolation == Interpolation.Nearest
            ? NearestAxis(start, length, output)
            : BilinearAxis(start, length, output);
        string low = graph.Node("Gather", [value, graph.Int64s($"{name}_lower", lower)], OnnxAttribute.Int("axis", axis));
        if (weight.All(w => w == 0f))
        {
            // Nearest, or every sample on a source row: a copy (no 0 · x term, so ±∞ pass unchanged as in Predict).
            return low;
        }

        string high = graph.Node("Gather", [value, graph.Int64s($"{name}_upper", upper)], OnnxAttribute.Int("axis", axis));

        // Weights of shape (output, 1, ...) to broadcast over the axes after this one (rank 4).
        long[] dims = [output, .. Enumerable.Repeat(1L, 3 - axis)];
        float[] complement = [.. weight.Select(w => 1 - w)];
        return graph.Node("Add", [
            graph.Node("Mul", [low, graph.Floats($"{name}_lower_weight", dims, complement)]),
            graph.Node("Mul", [high, graph.Floats($"{name}_upper_weight", dims, weight)])]);
    }

    // One axis (of `size` indices, in the value's rank-4 layout) resized by a weight table: moved last, multiplied by the
    // (size, output) matrix M[start[o] + k, o] = weight[o, k], and moved back.
    private static string MatMulAxis(OnnxGraphBuilder graph, string value, int axis, string name, int size, ResizeTable table)
    {
        long[] last = [.. Enumerable.Range(0, 4).Where(a => a != axis).Select(a => (long)a), axis];
        var back = new long[4];
        for (int i = 0; i < 4; i++)
        {
            back[last[i]] = i;
        }

        int output = table.Output;
        var matrix = new float[size * output];
        for (int o = 0; o < output; o++)
        {
            for (int k = 0; k < table.Span; k++)
            {
                matrix[((table.Start[o] + k) * output) + o] += table.Weight[(o * table.Span) + k];
            }
        }

        string moved = graph.Node("Transpose", [value], OnnxAttribute.Ints("perm", last));
        string resized = graph.Node("MatMul", [moved, graph.Floats($"{name}_resize_matrix", [size, output], matrix)]);
        return graph.Node("Transpose", [resized], OnnxAttribute.Ints("perm", back));
    }

    // Bilinear with half-pixel centers (Resampling.BilinearAxis): output o samples s = (o + 0.5) · length / output − 0.5
    // clamped to [0, length − 1], between floor(s) and the next index (floor(s) itself when s is whole), weight s − floor(s).
    private static (long[] Lower, long[] Upper, float[] Weight) BilinearAxis(int start, int length, int output)
    {
        var (lower, upper, weight) = (new long[output], new long[output], new float[output]);
        double scale = (double)length / output;
        for (int o = 0; o < output; o++)
        {
            double s = Math.Clamp(((o + 0.5) * scale) - 0.5, 0, length - 1);
            int i0 = (int)Math.Floor(s);
            lower[o] = start + i0;
            upper[o] = start + (s == i0 ? i0 : i0 + 1);
            weight[o] = (float)(s - i0);
        }

        return (lower, upper, weight);
    }

    // Nearest (WindowResize): output o copies index floor((o + 0.5) · length / output), at most length − 1.
    private static (long[] Lower, long[] Upper, float[] Weight) NearestAxis(int start, int length, int output)
    {
        var indices = new long[output];
        for (int o = 0; o < output; o++)
        {
            indices[o] = start + Math.Min((int)Math.Floor((o + 0.5) * length / output), length - 1);
        }

        return (indices, indices, new float[output]);
    }
}
