namespace NeuralNet.Layers;

/// <summary>
/// A layer that draws random numbers while it runs (dropout masks, noise): a model file saves and restores its
/// generator's state, so training resumed from a file draws the same numbers as training that never stopped.
/// </summary>
internal interface IRandomLayer
{
    /// <summary>The layer's generator, created on first use.</summary>
    SeededRandom LayerRandom { get; }

    /// <summary>
    /// The generator of a layer: from <paramref name="seed"/> (the constructor's) when given, else from the model's
    /// <paramref name="layerSeed"/>; the instance of a later call of a shared layer (<paramref name="callIndex"/> &gt; 0)
    /// draws its own stream, so the calls draw different numbers.
    /// </summary>
    static SeededRandom Create(long? seed, long layerSeed, int callIndex)
    {
        long root = seed ?? SeededRandom.Derive(layerSeed, -1);
        return new SeededRandom(callIndex == 0 ? root : SeededRandom.Derive(root, callIndex));
    }
}
