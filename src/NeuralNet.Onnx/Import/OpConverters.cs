namespace NeuralNet.Onnx.Import;

/// <summary>Checks one node, works out its outputs and queues the layers that compute them (see <see cref="ImportGraph"/>).</summary>
internal delegate void OpConverter(ImportedNode node, ImportGraph graph);

/// <summary>The operators the importer reads, by ONNX op_type; each family registers its own.</summary>
internal static class OpConverters
{
    public static IReadOnlyDictionary<string, OpConverter> All { get; } = Create();

    private static Dictionary<string, OpConverter> Create()
    {
        var all = new Dictionary<string, OpConverter>(StringComparer.Ordinal);
        ActivationImports.Register(all);
        DenseImports.Register(all);
        ConvolutionImports.Register(all);
        ConvTransposeImports.Register(all);
        PoolingImports.Register(all);
        NormalizationImports.Register(all);
        ShapeImports.Register(all);
        MergeImports.Register(all);
        ShapeFolding.Register(all);
        CnnOperatorImports.Register(all);
        SqueezeImports.Register(all);
        SplitImports.Register(all);
        UpSamplingImports.Register(all);
        ResizeImports.Register(all);
        DepthSpaceImports.Register(all);

        // After ShapeFolding: a Cast of a computed tensor is gather indices here, or refused as ShapeFolding refuses it.
        GatherImports.Register(all);
        return all;
    }
}
