namespace NeuralNet.Data;

/// <summary>What a folder loader reads: the words its messages use and the file extensions it lists (Keras' <c>formats</c>).</summary>
/// <param name="Folder">The folder in messages: "image folder".</param>
/// <param name="Files">The files in messages: "images".</param>
/// <param name="Extensions">The file extensions read, lower case with the dot, compared case-insensitively as Keras' <c>fname.lower().endswith(formats)</c>.</param>
internal sealed record FolderKind(string Folder, string Files, IReadOnlyList<string> Extensions)
{
    /// <summary>Images: Keras' <c>ALLOWLIST_FORMATS</c> of <c>image_dataset_from_directory</c>.</summary>
    public static readonly FolderKind Images = new("image folder", "images", [".bmp", ".gif", ".jpeg", ".jpg", ".png"]);

    /// <summary>Texts: <c>text_dataset_from_directory</c> reads <c>.txt</c> files only.</summary>
    public static readonly FolderKind Texts = new("text folder", "text files", [".txt"]);

    /// <summary>Audio: <c>audio_dataset_from_directory</c>'s <c>ALLOWED_FORMATS</c>, <c>.wav</c> only.</summary>
    public static readonly FolderKind Audio = new("audio folder", "audio files", [".wav"]);

    /// <summary>Whether a file name ends with one of <see cref="Extensions"/>, ignoring case.</summary>
    public bool Matches(string fileName)
    {
        string lower = fileName.ToLowerInvariant();
        return Extensions.Any(e => lower.EndsWith(e, StringComparison.Ordinal));
    }
}
