using System.Globalization;
using NeuralNet.Layers;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// Resize of a rank-4 image in nearest or linear mode, where it samples what NeuralNet's Keras layers sample: as
/// UpSampling2D (whole factors on both axes) or Resizing (other lengths). Each spatial axis' table is computed as ONNX
/// Runtime computes it (float32 positions from <c>coordinate_transformation_mode</c>, the scale and, for nearest,
/// <c>nearest_mode</c>) and compared with Keras' half-pixel table (the one NeuralNet's WindowResize computes); a Resize that reads other
/// inputs or positions is refused naming the attribute, its value and the first output where the two differ.
/// </summary>
/// <remarks>
/// PyTorch's <c>nn.Upsample(scale_factor=k)</c> (nearest: asymmetric, floor), <c>mode='bilinear', align_corners=False</c>
/// (pytorch_half_pixel) and <c>F.interpolate(size=...)</c> import; <c>align_corners=True</c> does not (Keras has no such
/// sampling), nor cubic (ONNX's Keys kernel from the exact fraction, where Keras reads TensorFlow's 1024-entry table, see
/// ResizeConverters), nor scales that are not the ratio of the lengths under half-pixel positions (ONNX samples with
/// the given scale, Keras with output / input).
/// </remarks>
internal static class ResizeImports
{
    private static readonly string[] s_transforms = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"];
    private static readonly string[] s_nearestModes = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"];

    public static void Register(Dictionary<string, OpConverter> all) => all["Resize"] = Resize;

    private static void Resize(ImportedNode node, ImportGraph graph)
    {
        var attributes = new NodeAttributes(node, "antialias", "axes", "coordinate_transformation_mode", "cubic_coeff_a", "exclude_outside", "extrapolation_value",
            "keep_aspect_ratio_policy", "mode", "nearest_mode");
        ImportedValue x = graph.Computed(node, 0, "X");
        if (x.Rank != 4)
        {
            throw node.Refuse($"input 0 (X) has dimensions {ImportText.Dims(x.Dims)}; NeuralNet.Onnx imports Resize of rank-4 images (as UpSampling2D or Resizing)");
        }

        string mode = attributes.String("mode", "nearest");
        string transform = attributes.String("coordinate_transformation_mode", "half_pixel");
        string nearestMode = attributes.String("nearest_mode", "round_prefer_floor");
        if (mode is not ("nearest" or "linear" or "cubic") || !s_transforms.Contains(transform) || !s_nearestModes.Contains(nearestMode)
            || (transform == "half_pixel_symmetric" && graph.Opset < 19))
        {
            throw node.Invalid($"attributes mode='{mode}', coordinate_transformation_mode='{transform}', nearest_mode='{nearestMode}' are not all values of opset {graph.Opset}'s Resize");
        }

        if (mode == "cubic")
        {
            throw node.Refuse("attribute mode='cubic'; ONNX's cubic (Keys' kernel on the exact fraction) differs from Keras' bicubic (TensorFlow's 1024-entry table) that NeuralNet computes; NeuralNet.Onnx imports mode 'nearest' and 'linear'");
        }

        if (transform == "tf_crop_and_resize")
        {
            throw node.Refuse("attribute coordinate_transformation_mode='tf_crop_and_resize' (a crop by roi); NeuralNet.Onnx imports Resize of whole images");
        }

        if (attributes.Int("exclude_outside", 0) != 0)
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"attribute exclude_outside={attributes.Int("exclude_outside", 0)}; NeuralNet.Onnx imports Resize with exclude_outside=0"));
        }

        // ONNX Runtime refuses to load such a file ("when anti-aliasing is set, Resize only supports mode LINEAR and
        // CUBIC"), though the operator's definition would ignore the attribute for nearest.
        if (mode == "nearest" && attributes.Int("antialias", 0) != 0)
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"attribute antialias={attributes.Int("antialias", 0)} with mode='nearest', which ONNX Runtime does not load (it antialiases linear and cubic only); NeuralNet.Onnx imports nearest Resize with antialias=0"));
        }

        string policy = attributes.String("keep_aspect_ratio_policy", "stretch");
        if (policy != "stretch")
        {
            throw node.Refuse($"attribute keep_aspect_ratio_policy='{policy}'; NeuralNet.Onnx imports Resize with 'stretch' (the output lengths given)");
        }

        int[] axes = Axes(node, attributes, graph.Opset);
        (float[] scales, long[] output) = Lengths(node, graph, x, axes);

        // NeuralNet's axes 1 and 2 are the image's rows and columns (ONNX's 2 and 3 of a channels-first image).
        int rowsAxis = Enumerable.Range(0, 4).First(a => ImportLayout.Axis(a, 4, x.IsImage) == 1);
        int columnsAxis = Enumerable.Range(0, 4).First(a => ImportLayout.Axis(a, 4, x.IsImage) == 2);
        for (int a = 0; a < 4; a++)
        {
            if (a != rowsAxis && a != columnsAxis && (scales[a] != 1f || output[a] != x.Dims[a]))
            {
                string which = a == 0 ? "the batch axis" : "the channels axis";
                throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                    $"it resizes {which} (axis {a}) of '{x.Name}' {ImportText.Dims(x.Dims)} by scale {scales[a]}; NeuralNet.Onnx imports Resize of an image's height and width (axes {rowsAxis} and {columnsAxis})"));
            }
        }

        if (output[rowsAxis] < 1 || output[columnsAxis] < 1 || output[rowsAxis] > int.MaxValue || output[columnsAxis] > int.MaxValue
            || ImportSizes.Product([output[1], output[2], output[3]]) is null)
        {
            throw node.Refuse($"its output would be {ImportText.Dims(output)}; NeuralNet layers need lengths from 1 to 2147483647 and at most 2147483647 values per sample");
        }

        bool shrinks = output[rowsAxis] < x.Dims[rowsAxis] || output[columnsAxis] < x.Dims[columnsAxis];
        if (mode == "linear" && shrinks && attributes.Int("antialias", 0) != 0)
        {
            // The specification applies antialiasing only when shrinking: upsampling is unaffected.
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                $"attribute antialias={attributes.Int("antialias", 0)} while shrinking {ImportText.Dims(x.Dims)} to {ImportText.Dims(output)}; NeuralNet.Onnx imports linear Resize without antialiasing (or upsampling, which it does not change)"));
        }

        foreach (int a in new[] { rowsAxis, columnsAxis })
        {
            CheckAxis(node, a, transform, nearestMode, mode == "linear", scales[a], x.Dims[a], output[a]);
        }

        long[] dims = [.. output];
        dims[0] = x.Dims[0];
        int inHeight = (int)x.Dims[rowsAxis], inWidth = (int)x.Dims[columnsAxis], outHeight = (int)output[rowsAxis], outWidth = (int)output[columnsAxis];
        if (inHeight == outHeight && inWidth == outWidth)
        {
            graph.Alias(node, x, dims, x.IsImage);
            return;
        }

        Interpolation interpolation = mode == "linear" ? Interpolation.Bilinear : Interpolation.Nearest;
        bool whole = outHeight % inHeight == 0 && outWidth % inWidth == 0;
        graph.Define(node, dims, b => whole
            ? new UpSampling2D((outHeight / inHeight, outWidth / inWidth), interpolation).Call(b[x])
            : new Resizing(outHeight, outWidth, interpolation).Call(b[x]), x.IsImage);
    }

    // The axes scales and sizes refer to: the `axes` attribute (opset 18 on), each once, else every axis.
    private static int[] Axes(ImportedNode node, NodeAttributes attributes, int opset)
    {
        if (attributes.Ints("axes") is not long[] given)
        {
            return [0, 1, 2, 3];
        }

        if (opset < 18)
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"attribute axes is Resize's from opset 18, but the file imports opset {opset}"));
        }

        int[] axes = [.. given.Select(a => a < 0 ? a + 4 : a).Select(a => a is >= 0 and < 4 ? (int)a : -1)];
        return axes.Contains(-1) || axes.Distinct().Count() != axes.Length
            ? throw node.Invalid($"attribute axes={ImportText.List(given)} are not distinct axes of a rank-4 input")
            : axes;
    }

    // Each axis' scale and output length as ONNX Runtime computes them: from scales, the length floor(scale · input) in
    // float32; from sizes, the scale output / input in float32. Axes not listed keep scale 1.
    private static (float[] Scales, long[] Output) Lengths(ImportedNode node, ImportGraph graph, ImportedValue x, int[] axes)
    {
        var scales = new float[] { 1, 1, 1, 1 };
        long[] output = [.. x.Dims];
        OnnxConstant? scaleValues = NonEmpty(node, graph, 2, "scales");
        OnnxConstant? sizeValues = NonEmpty(node, graph, 3, "sizes");
        if ((scaleValues is null) == (sizeValues is null))
        {
            throw node.Invalid("exactly one of the inputs scales and sizes must be given (and not empty)");
        }

        OnnxConstant given = (scaleValues ?? sizeValues)!;
        string name = scaleValues is null ? "sizes" : "scales";
        if (given.Dims.Length != 1 || given.Values.Length != axes.Length || (scaleValues is not null && given.IsInteger) || (sizeValues is not null && !given.IsInteger))
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture,
                $"input {name} has dimensions {given.Shape} of element type {OnnxConstant.TypeName(given.ElementType)}; expected {axes.Length} {(scaleValues is null ? "int64" : "float")} values, one per axis"));
        }

        for (int i = 0; i < axes.Length; i++)
        {
            int a = axes[i];
            if (given.IsBatch(i))
            {
                // sizes from Shape arithmetic: the batch length itself (a ONNX Runtime keeps it).
                if (a != 0)
                {
                    throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"input sizes gives axis {a} the batch length, known only at run time; NeuralNet.Onnx imports fixed lengths but the batch's"));
                }

                continue;
            }

            double v = given.Values[i];
            if (scaleValues is not null)
            {
                if (!(v > 0) || !float.IsFinite((float)v))
                {
                    throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"input scales holds {v} for axis {a}; scales are positive and finite"));
                }

                scales[a] = (float)v;
                output[a] = a == 0 ? x.Dims[0] : (long)((float)v * x.Dims[a]);
                if (a == 0 && scales[a] != 1f)
                {
                    throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"input scales holds {v} for the batch axis; NeuralNet.Onnx imports Resize of each sample (scale 1 on axis 0)"));
                }
            }
            else if (a == 0)
            {
                // A file exported without a dynamic batch axis holds its batch length here (torch.onnx folds the Shape).
                if (graph.FixedBatch != (long)v)
                {
                    throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                        $"input sizes holds {(long)v} for the batch axis; NeuralNet.Onnx imports Resize of each sample (the batch length read by a Shape, or the inputs' fixed batch length{(graph.FixedBatch is long n ? $" {n}" : "")})"));
                }
            }
            else
            {
                output[a] = v >= 1 ? (long)v : throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"input sizes holds {(long)v} for axis {a}; NeuralNet layers need a length of at least 1"));
                scales[a] = (float)output[a] / x.Dims[a];
            }
        }

        return (scales, output);
    }

    // Input `index` when present and not empty (opset 11's roi and scales are required inputs, often empty constants).
    private static OnnxConstant? NonEmpty(ImportedNode node, ImportGraph graph, int index, string what)
    {
        if (index >= node.Proto.Input.Count || node.Proto.Input[index].Length == 0)
        {
            return null;
        }

        ImportedValue value = graph.Known(node, index);
        OnnxConstant constant = value.Folded ?? throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
            $"input {index} ({what}) '{value.Name}' is computed by the graph; NeuralNet.Onnx imports Resize with constant scales or sizes (shape arithmetic is evaluated at import)"));
        return constant.Values.Length == 0 ? null : constant;
    }

    // One spatial axis: ONNX's table against Keras' half-pixel one, refused at the first output where they differ.
    private static void CheckAxis(ImportedNode node, int axis, string transform, string nearestMode, bool linear, float scale, long input, long output)
    {
        for (long o = 0; o < output; o++)
        {
            // ONNX Runtime applies no coordinate transformation on an axis whose scale is exactly 1: output o reads
            // input o whatever the mode (tf_half_pixel_for_nn would otherwise give o + 0.5).
            float position = scale == 1f ? o : Position(transform, o, scale, input, output);
            if (linear)
            {
                double onnx = Math.Clamp(position, 0, input - 1), keras = KerasPosition(o, input, output);
                if (Math.Abs(onnx - keras) > 1e-6 * input)
                {
                    throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                        $"attribute coordinate_transformation_mode='{transform}' with scale {scale} on axis {axis} ({input} -> {output}) samples input position {onnx:0.####} for output {o}, where NeuralNet's UpSampling2D and Resizing (Keras' bilinear, half-pixel centers: (o + 0.5) · {input} / {output} − 0.5) sample {keras:0.####}; NeuralNet.Onnx imports linear Resize with half-pixel positions at scale output / input (half_pixel, pytorch_half_pixel: PyTorch's align_corners=False), not align_corners=True, asymmetric or tf_half_pixel_for_nn"));
                }
            }
            else
            {
                long onnx = Math.Clamp(Nearest(nearestMode, position), 0, input - 1), keras = KerasNearest(o, input, output);
                if (onnx != keras)
                {
                    throw node.Refuse(string.Create(CultureInfo.InvariantCulture,
                        $"attribute coordinate_transformation_mode='{transform}' with nearest_mode='{nearestMode}' and scale {scale} on axis {axis} ({input} -> {output}) reads input {onnx} for output {o}, where NeuralNet's UpSampling2D and Resizing (Keras' nearest: floor((o + 0.5) · {input} / {output})) read {keras}; NeuralNet.Onnx imports nearest Resize where the two read the same inputs (half_pixel with round_prefer_floor at whole factors or round_prefer_ceil at any lengths, asymmetric with floor at whole factors: PyTorch's nn.Upsample)"));
                }
            }
        }
    }

    // Keras' (tf.image.resize's) bilinear position, half-pixel centers clamped to the image, in double as WindowResize.
    private static double KerasPosition(long o, long input, long output) => Math.Clamp(((o + 0.5) * input / output) - 0.5, 0, input - 1);

    // Keras' nearest source index floor((o + 0.5) · in / out), at most in − 1, as WindowResize.
    private static long KerasNearest(long o, long input, long output) => Math.Min((long)Math.Floor((o + 0.5) * input / output), input - 1);

    // ONNX's position in the input of output index o, in float32 as ONNX Runtime computes it (the operator's definition).
    // half_pixel_symmetric: ONNX Runtime computes the offset in float32, adds (o + 0.5) / scale − 0.5 in double (its 0.5
    // is a double literal) and rounds once to float32; in float32 throughout, 3 -> 1 with floor would read input 1, not 0.
    private static float Position(string transform, long o, float scale, long input, long output) => transform switch
    {
        "half_pixel" => ((o + 0.5f) / scale) - 0.5f,
        "pytorch_half_pixel" => output > 1 ? ((o + 0.5f) / scale) - 0.5f : 0f,
        "half_pixel_symmetric" => (float)((input / 2f * (1 - (output / (scale * input)))) + ((o + 0.5) / scale) - 0.5),
        "align_corners" => output == 1 ? 0f : o * (float)(input - 1) / (output - 1),
        "asymmetric" => o / scale,
        _ => (o + 0.5f) / scale,
    };

    // ONNX's nearest_mode: round (halves down or up), floor or ceil.
    private static long Nearest(string nearestMode, float position)
    {
        bool half = position == MathF.Floor(position) + 0.5f;
        return nearestMode switch
        {
            "round_prefer_floor" => (long)(half ? MathF.Floor(position) : MathF.Round(position)),
            "round_prefer_ceil" => (long)(half ? MathF.Ceiling(position) : MathF.Round(position)),
            "floor" => (long)MathF.Floor(position),
            _ => (long)MathF.Ceiling(position),
        };
    }
}
