using System.Globalization;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// ConvTranspose over (N, C, H, W) images as Conv2DTranspose, over (N, C, L) sequences as Conv1DTranspose and over
/// (N, C, D, H, W) volumes as Conv3DTranspose (between two Permutes, as NeuralNet holds a sequence's and a volume's ONNX
/// layout; cancelling ones are left out, see <see cref="ImportBuild.Permuted"/>), its (C, M, k...) weights laid out as
/// Keras' (k..., M, C), unflipped; pads that neither Keras padding gives become a Cropping1D / 2D / 3D after it (see
/// <see cref="ConvTransposePlan"/>).
/// </summary>
internal static class ConvTransposeImports
{
    public static void Register(Dictionary<string, OpConverter> all) => all["ConvTranspose"] = ConvTranspose;

    private static void ConvTranspose(ImportedNode node, ImportGraph graph)
    {
        var attributes = new NodeAttributes(node, "auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape", "pads", "strides");
        ImportedValue x = graph.Computed(node, 0, "X");
        x = x.Rank switch
        {
            4 => graph.Image(node, 0, "X"),
            3 or 5 => x,
            _ => throw node.Refuse($"input 0 (X) has dimensions {ImportText.Dims(x.Dims)}; NeuralNet.Onnx imports ConvTranspose on (N, C, L) sequences, (N, C, H, W) images and (N, C, D, H, W) volumes"),
        };
        int rank = x.Rank - 2;
        OnnxConstant w = graph.Constant(node, 1, "W, the weights");
        if (w.Dims.Length != x.Rank || w.Dims.Any(v => v < 1))
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture,
                $"W has dimensions {w.Shape}; a {rank}-D transposed convolution's weights are (C, M/group, {(rank == 1 ? "k" : rank == 2 ? "kH, kW" : "kD, kH, kW")}), each length at least 1"));
        }

        long group = attributes.Int("group", 1);
        if (!ImportSizes.IsLength(group))
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"attribute group={group} is not in {ImportSizes.LengthRange}"));
        }

        if (group != 1)
        {
            throw node.Refuse(string.Create(CultureInfo.InvariantCulture, $"attribute group={group}; NeuralNet's Conv1DTranspose, Conv2DTranspose and Conv3DTranspose (as Keras') have no groups"));
        }

        long channels = x.Dims[1], filters = w.Dims[1];
        if (w.Dims[0] != channels)
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"W has dimensions {w.Shape}, expected (C, M, k...) with C = the input's {channels} channels"));
        }

        long[] kernel = w.Dims[2..], input = x.Dims[2..];
        if (attributes.Ints("kernel_shape") is long[] shape && !shape.SequenceEqual(kernel))
        {
            throw node.Invalid($"attribute kernel_shape={ImportText.List(shape)} differs from the weights' {w.Shape}");
        }

        long[] s = attributes.Ints("strides", rank, 1), d = attributes.Ints("dilations", rank, 1), outputPadding = attributes.Ints("output_padding", rank, 0);
        if (!s.All(ImportSizes.IsLength) || !d.All(ImportSizes.IsLength) || !kernel.All(ImportSizes.IsLength))
        {
            throw node.Invalid($"kernel {ImportText.List(kernel)}, strides {ImportText.List(s)} and dilations {ImportText.List(d)} must be in {ImportSizes.LengthRange}");
        }

        if (s.Any(v => v > 1) && d.Any(v => v > 1))
        {
            throw node.Refuse($"strides {ImportText.List(s)} with dilations {ImportText.List(d)}; Keras' transposed convolutions (and NeuralNet's) take strides above 1 or dilations above 1, not both");
        }

        if (outputPadding.Any(p => p < 0 || p > int.MaxValue))
        {
            throw node.Invalid($"attribute output_padding={ImportText.List(outputPadding)} holds a value outside [0, 2147483647]");
        }

        // The operator's definition: each output padding is below its axis' stride or dilation (ONNX Runtime refuses the rest at run time).
        if (outputPadding.Where((p, i) => p >= Math.Max(s[i], d[i])).Any())
        {
            throw node.Invalid($"attribute output_padding={ImportText.List(outputPadding)} with strides {ImportText.List(s)} and dilations {ImportText.List(d)}; each output padding must be below its axis' stride or dilation, whichever is larger");
        }

        if (kernel.Select((k, i) => ((k - 1) * d[i]) + 1).Any(e => e > int.MaxValue) || input.Select((n, i) => TransposedWindow.Full(n, kernel[i], s[i], d[i]) + outputPadding[i]).Any(f => f > int.MaxValue))
        {
            throw node.Invalid($"a kernel {ImportText.List(kernel)} dilated by {ImportText.List(d)} over {ImportText.List(input)} with strides {ImportText.List(s)} spans more than 2147483647 outputs");
        }

        TransposedWindow[] windows = ConvTransposePlan.OnnxWindows(node, attributes, input, kernel, s, d, outputPadding);
        if (windows.Any(v => v.Length < 1))
        {
            throw node.Refuse($"attribute pads={ImportText.List(attributes.Ints("pads", 2 * rank, 0))} leave output lengths {ImportText.List(windows.Select(v => v.Length))}; NeuralNet layers need a length of at least 1 on every axis");
        }

        ConvTransposePlan plan = ConvTransposePlan.Choose(node, windows, input, kernel, s, d, outputPadding, attributes.Ints("pads", 2 * rank, 0));
        if (ImportSizes.Product([filters, .. plan.Output]) is null)
        {
            throw node.Invalid($"its convolution before the crop would give {ImportText.List([filters, .. plan.Output])}, more than 2147483647 values per sample");
        }

        float[]? bias = null;
        if (graph.Optional(node, 2) is ImportedValue biasValue)
        {
            OnnxConstant constant = biasValue.Constant ?? throw node.Refuse($"input B '{biasValue.Name}' is computed by the graph; NeuralNet.Onnx imports a transposed convolution's bias only as a constant");
            bias = constant.Dims.SequenceEqual([filters]) ? constant.ToFloats()
                : throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"the bias has dimensions {constant.Shape}, expected [{filters}]"));
        }

        // (C, M, k...) -> Keras' (k..., M, C): both scatter input pixel i through tap a to full-map index i·stride + a·dilation.
        int[] weightDims = [.. w.Dims.Select(v => (int)v)];
        float[] kernelValues = ImportLayout.Transpose(w.ToFloats(), weightDims, rank switch
        {
            1 => [2, 1, 0],
            2 => [2, 3, 1, 0],
            _ => [2, 3, 4, 1, 0],
        });
        long[] dims = [x.Dims[0], filters, .. windows.Select(v => v.Length)];
        graph.Define(node, dims, b =>
        {
            Layer conv;
            SymbolicTensor y;
            if (rank == 2)
            {
                conv = new Conv2DTranspose((int)filters, ((int)kernel[0], (int)kernel[1]), ((int)s[0], (int)s[1]), plan.Padding,
                    plan.OutputPadding is [int oh, int ow] ? (oh, ow) : null, ((int)d[0], (int)d[1]), useBias: bias is not null);
                y = CheckBuilt(node, "Conv2DTranspose", conv.Call(b[x]), [.. plan.Output, filters]);
                y = plan.HasCrop ? new Cropping2D((plan.Crops[0], plan.Crops[1])).Call(y) : y;
            }
            else if (rank == 3)
            {
                // NeuralNet holds a volume as ONNX's (N, C, D, H, W); Conv3DTranspose reads (N, D, H, W, C).
                conv = new Conv3DTranspose((int)filters, ((int)kernel[0], (int)kernel[1], (int)kernel[2]), ((int)s[0], (int)s[1], (int)s[2]), plan.Padding,
                    plan.OutputPadding is [int od, int oh, int ow] ? (od, oh, ow) : null, ((int)d[0], (int)d[1], (int)d[2]), useBias: bias is not null);
                y = CheckBuilt(node, "Conv3DTranspose", conv.Call(ImportBuild.Permuted(b[x], 2, 3, 4, 1)), [.. plan.Output, filters]);
                y = ImportBuild.Permuted(plan.HasCrop ? new Cropping3D((plan.Crops[0], plan.Crops[1], plan.Crops[2])).Call(y) : y, 4, 1, 2, 3);
            }
            else
            {
                // NeuralNet holds a sequence as ONNX's (N, C, L); Conv1DTranspose reads (N, L, C).
                conv = new Conv1DTranspose((int)filters, (int)kernel[0], (int)s[0], plan.Padding, plan.OutputPadding?[0], (int)d[0], useBias: bias is not null);
                y = CheckBuilt(node, "Conv1DTranspose", conv.Call(ImportBuild.Permuted(b[x], 2, 1)), [.. plan.Output, filters]);
                y = ImportBuild.Permuted(plan.HasCrop ? new Cropping1D(plan.Crops[0]).Call(y) : y, 2, 1);
            }

            b.Weight(conv, "kernel", kernelValues);
            if (bias is not null)
            {
                b.Weight(conv, "bias", bias);
            }

            return CheckBuilt(node, "the imported ConvTranspose", y, rank == 2 ? [dims[2], dims[3], filters] : [.. dims[1..]]);
        });
    }

    /// <summary>
    /// <paramref name="built"/>, after checking that its sample shape is <paramref name="planned"/>: the plan computes
    /// Keras' windows with <see cref="TransposedWindow.Keras"/>, the layer with its own geometry, and the two must agree,
    /// else the output would be shifted or cut silently. A mismatch is an importer bug, not the file's.
    /// </summary>
    internal static SymbolicTensor CheckBuilt(ImportedNode node, string what, SymbolicTensor built, long[] planned)
    {
        int[] dims = built.Shape.Dimensions.ToArray();
        if (!dims.Select(v => (long)v).SequenceEqual(planned))
        {
            throw new InvalidOperationException(
                $"ONNX file '{node.Source}': {node.Description}: {what} gives {ImportText.List(dims.Select(v => (long)v))} per sample but the import planned {ImportText.List(planned)} (an importer bug: TransposedWindow.Keras and the layer's geometry disagree).");
        }

        return built;
    }
}
