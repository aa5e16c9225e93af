namespace NeuralNet.Serialization;

/// <summary>The points of an atomic write at which tests inject failures (<see cref="AtomicFile"/>).</summary>
internal enum AtomicFileStage
{
    /// <summary>The content has been written to the temporary file but not flushed.</summary>
    Written,

    /// <summary>The temporary file has been flushed to disk and closed, and is about to be renamed over the target.</summary>
    Flushed,
}
