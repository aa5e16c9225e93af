namespace NeuralNet.Layers;

/// <summary>Checks shared by the layers whose inputs are ids or raw values they do not differentiate (their input gradient is zero).</summary>
internal static class IdGradient
{
    /// <summary>Throws unless <paramref name="outputGradient"/> follows a forward pass of <paramref name="batch"/> samples.</summary>
    public static void CheckBatch(Layer layer, Tensor outputGradient, int batch)
    {
        if (outputGradient.Shape[0] != batch)
        {
            throw new InvalidOperationException($"{layer} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size.");
        }
    }
}
