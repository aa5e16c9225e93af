using static System.FormattableString;

namespace NeuralNet.Data;

/// <summary>
/// Lays decoded clips out as Keras' audio dataset gives them: TensorFlow's <c>desired_samples</c> crop or zero pad to a
/// fixed length, <c>padded_batch</c>'s zero padding to the longest clip and the most channels, or one tensor per clip
/// (ragged, all with the same channels).
/// </summary>
internal static class AudioStacking
{
    /// <summary>The clips as (n, frames, channels) plus a view of each row, or (ragged) as one tensor each.</summary>
    /// <param name="clips">The decoded clips.</param>
    /// <param name="paths">Their files, for messages.</param>
    /// <param name="length">The frames of every clip (crop or pad), or null for the longest clip's.</param>
    /// <param name="ragged">Whether each clip keeps its own length.</param>
    /// <exception cref="InvalidDataException">
    /// With a fixed length or ragged, two clips have different channel counts (Keras' <c>batch</c> refuses them too);
    /// without either, every clip is empty (a tensor cannot have 0 frames); or the clips do not fit in one tensor.
    /// </exception>
    public static (Tensor? Audio, Tensor[] Clips) Stack(WavClip[] clips, IReadOnlyList<string> paths, int? length, bool ragged)
    {
        if (ragged)
        {
            RequireSameChannels(clips, paths, clips[0].Channels, "with Ragged, every clip read together must have the same channels (Keras' batch of ragged clips refuses other inner sizes). Leave Ragged off to pad the channels with zeros");
            return (null, [.. clips.Select(c => Tensor.FromArray(c.Samples, c.Frames, c.Channels))]);
        }

        int frames = length ?? clips.Max(c => c.Frames);
        int channels = clips.Max(c => c.Channels);
        if (length is not null)
        {
            RequireSameChannels(clips, paths, channels, "with OutputSequenceLength set, every clip read together must have the same channels (Keras cannot batch them either). Leave OutputSequenceLength null to pad the channels with zeros, or read with Ragged");
        }

        if (frames == 0)
        {
            throw new InvalidDataException($"Every WAV file read together has no samples ('{paths[0]}' first); expected at least one frame to pad the others to (a NeuralNet tensor cannot have 0 frames, where Keras' padded_batch gives (clips, 0, channels)), or read with Ragged.");
        }

        if ((long)clips.Length * frames * channels > Array.MaxLength)
        {
            throw new InvalidDataException(Invariant($"{clips.Length} clips of {frames} frames x {channels} channels do not fit in one tensor; read them with AudioFolder.EnumerateBatches or set OutputSequenceLength."));
        }

        var audio = new Tensor(clips.Length, frames, channels);
        Span<float> values = audio.AsSpan();
        for (int n = 0; n < clips.Length; n++)
        {
            WavClip clip = clips[n];
            Span<float> row = values.Slice(n * frames * channels, frames * channels);
            int kept = Math.Min(frames, clip.Frames);
            if (clip.Channels == channels)
            {
                clip.Samples.AsSpan(0, kept * channels).CopyTo(row);
            }
            else
            {
                // padded_batch pads the channel axis with zeros too.
                for (int t = 0; t < kept; t++)
                {
                    clip.Samples.AsSpan(t * clip.Channels, clip.Channels).CopyTo(row.Slice(t * channels));
                }
            }
        }

        return (audio, [.. Enumerable.Range(0, clips.Length).Select(n => audio.Slice(n, 1).Reshape(frames, channels))]);
    }

    /// <summary>Refuses clips of other than <paramref name="channels"/> channels, naming one and a clip that has them.</summary>
    private static void RequireSameChannels(WavClip[] clips, IReadOnlyList<string> paths, int channels, string rule)
    {
        int i = Array.FindIndex(clips, c => c.Channels != channels);
        if (i >= 0)
        {
            int j = Array.FindIndex(clips, c => c.Channels == channels);
            throw new InvalidDataException(Invariant($"'{paths[i]}' has {clips[i].Channels} channel(s) and '{paths[j]}' has {channels}: {rule}."));
        }
    }
}
