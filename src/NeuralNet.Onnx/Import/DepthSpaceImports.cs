using System.Globalization;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Import;

/// <summary>
/// DepthToSpace and SpaceToDepth of an (N, C, H, W) image, imported as the layers of the same names on the image held
/// channels last. ONNX's mode DCR (DepthToSpace's default, and what ExportOnnx writes) reads channel (bi·b + bj)·c + k,
/// the layers' (TensorFlow's) order; SpaceToDepth has that order only. DepthToSpace's mode CRD (PyTorch's PixelShuffle)
/// reads channel k·b² + bi·b + bj instead: its channels are first regrouped into DCR's order by a Reshape to
/// (H, W, c, b²), a Permute of the last two axes and a Reshape back, so values only move and the import is exact.
/// </summary>
internal static class DepthSpaceImports
{
    public static void Register(Dictionary<string, OpConverter> all)
    {
        all["DepthToSpace"] = DepthToSpace;
        all["SpaceToDepth"] = SpaceToDepth;
    }

    private static void DepthToSpace(ImportedNode node, ImportGraph graph)
    {
        var attributes = new NodeAttributes(node, "blocksize", "mode");
        int block = BlockSize(node, attributes);
        string mode = attributes.String("mode", "DCR");
        if (mode is not ("DCR" or "CRD"))
        {
            throw node.Invalid($"attribute mode='{mode}' is neither 'DCR' nor 'CRD', ONNX's two DepthToSpace orders");
        }

        ImportedValue x = graph.Image(node, 0, "input");
        long square = (long)block * block;
        if (x.Dims[1] % square != 0)
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture,
                $"input 0 (input) '{x.Name}' {ImportText.Dims(x.Dims)} has {x.Dims[1]} channels, not a multiple of blocksize² = {square}"));
        }

        long channels = x.Dims[1] / square;
        long[] dims = [x.Dims[0], channels, x.Dims[2] * block, x.Dims[3] * block];
        if (block == 1)
        {
            graph.Alias(node, x);
            return;
        }

        graph.Define(node, dims, b =>
        {
            SymbolicTensor input = mode == "CRD" ? CrdToDcr(b[x], x, (int)channels, block) : b[x];
            return new Layers.DepthToSpace(block).Call(input);
        });
    }

    private static void SpaceToDepth(ImportedNode node, ImportGraph graph)
    {
        int block = BlockSize(node, new NodeAttributes(node, "blocksize"));
        ImportedValue x = graph.Image(node, 0, "input");
        if (x.Dims[2] % block != 0 || x.Dims[3] % block != 0)
        {
            throw node.Invalid(string.Create(CultureInfo.InvariantCulture,
                $"input 0 (input) '{x.Name}' {ImportText.Dims(x.Dims)} has a height or width that is not a multiple of blocksize = {block}"));
        }

        if (block == 1)
        {
            graph.Alias(node, x);
            return;
        }

        long[] dims = [x.Dims[0], x.Dims[1] * block * block, x.Dims[2] / block, x.Dims[3] / block];
        graph.Define(node, dims, b => new Layers.SpaceToDepth(block).Call(b[x]));
    }

    // The required attribute blocksize: 1 moves nothing (an alias), and the layers take 2 and more.
    private static int BlockSize(ImportedNode node, NodeAttributes attributes)
    {
        if (!attributes.Has("blocksize"))
        {
            throw node.Invalid("the required attribute blocksize is missing");
        }

        long block = attributes.Int("blocksize", 0);
        return block is >= 1 and <= 46340 ? (int)block
            : throw node.Invalid(string.Create(CultureInfo.InvariantCulture, $"attribute blocksize={block} is not a positive block side (1 to 46340)"));
    }

    // (H, W, c·b²) channels in CRD's order k·b² + block, made DCR's block·c + k: (H, W, c, b²) -> (H, W, b², c).
    private static SymbolicTensor CrdToDcr(SymbolicTensor image, ImportedValue x, int channels, int block)
    {
        int height = (int)x.Dims[2], width = (int)x.Dims[3], square = block * block;
        SymbolicTensor grouped = new Layers.Reshape([height, width, channels, square], null).Call(image);
        SymbolicTensor swapped = new Permute(1, 2, 4, 3).Call(grouped);
        return new Layers.Reshape([height, width, square * channels], null).Call(swapped);
    }
}
