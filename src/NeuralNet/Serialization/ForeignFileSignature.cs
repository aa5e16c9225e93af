namespace NeuralNet.Serialization;

/// <summary>
/// Recognises, from a file's first bytes, the formats users most often hand to the safetensors reader by mistake (a Keras
/// <c>.weights.h5</c> or <c>.keras</c> file, a PyTorch checkpoint), so that the refusal says what the file is and which
/// reader takes it rather than reporting a nonsensical header size.
/// </summary>
internal static class ForeignFileSignature
{
    private static ReadOnlySpan<byte> Hdf5 => [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];

    private static ReadOnlySpan<byte> Zip => [(byte)'P', (byte)'K', 3, 4];

    /// <summary>What the file is and where to read it, or null when <paramref name="prefix"/> is no format known here.</summary>
    public static string? Describe(ReadOnlySpan<byte> prefix)
    {
        if (prefix.StartsWith(Hdf5))
        {
            return "it is an HDF5 file, not a safetensors file: Keras' .weights.h5 and Keras 2's .h5 files are read by the NeuralNet.Keras package (KerasFormat.LoadWeights(model, path), or KerasFormat.LoadModel(path) for a whole Keras 2 model).";
        }

        if (prefix.StartsWith(Zip))
        {
            return "it is a zip archive, not a safetensors file: a Keras .keras archive is read by the NeuralNet.Keras package (KerasFormat.LoadModel(path), or KerasFormat.LoadWeights(model, path) for its weights); a PyTorch .pt/.pth checkpoint is a zip archive too and is not read by NeuralNet (export the model to ONNX and use OnnxImporter, or save its state_dict with safetensors).";
        }

        return null;
    }
}
