using NeuralNet.Models;
using NeuralNet.Samples.Onnx;
using Xunit;

namespace NeuralNet.Onnx.Tests.Import;

/// <summary>
/// Every model of <see cref="ExportCases"/>, exported and imported back, is either refused with a
/// <see cref="NotSupportedException"/> (an operator the importer does not read) or predicts what the original predicts:
/// an import that succeeds must never compute something else. (A model whose Rescaling read the channels-last input
/// before the exporter's Transpose was taken for a (N, C, H, W) image: a wrong input shape, or, for an input with
/// three equal lengths, wrong predictions without any error.)
/// </summary>
public sealed class ImportOfEveryExportCaseTests
{
    [Theory]
    [MemberData(nameof(ExportCases.Names), MemberType = typeof(ExportCases))]
    public void ExportedCase_ImportedBack_IsRefusedOrPredictsTheSame(string name)
    {
        Model original = ExportCases.Build(name);
        Functional imported;
        try
        {
            imported = ImportChecks.Import(original.ToOnnxBytes());
        }
        catch (NotSupportedException)
        {
            return;
        }

        Assert.Equal(original.Inputs.Select(i => i.Shape), imported.Inputs.Select(i => i.Shape));
        Tensor[] inputs = OnnxRoundTrip.RandomInputs(original, batch: 3);
        IReadOnlyList<Tensor> expected = original.PredictOutputs(inputs), actual = imported.PredictOutputs(inputs);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Shape, actual[i].Shape);
            ImportChecks.AssertClose(expected[i].AsReadOnlySpan(), actual[i].AsReadOnlySpan());
        }
    }

    [Fact]
    public void ExportCases_ImportedAndRefused_AreCountedAndTransposedConvolutionsImport()
    {
        var refused = new Dictionary<string, string>(StringComparer.Ordinal);
        IReadOnlyList<string> names = [.. ExportCases.Names()];
        foreach (string name in names)
        {
            try
            {
                ImportChecks.Import(ExportCases.Build(name).ToOnnxBytes());
            }
            catch (NotSupportedException e)
            {
                refused[name] = e.Message;
            }
        }

        // Session 40's ConvTranspose moved the seven conv_transpose_* cases and six of the seven conv1d_transpose_* ones
        // from refused to imported, and its Gather as UpSampling2D the two nearest up_sampling2d_* cases (94 -> 109).
        // Session 41 moved 25 (109 -> 134): its 1-D Conv the conv1d_*, depthwise_conv1d_* and separable_conv1d_* cases,
        // the last conv1d_transpose_* one (after a Conv1D), noise_identity (a Conv1D inside) and
        // stft_imag_expand_dims_step_is_length (its Conv over (batch · channels, 1, steps)); its bilinear UpSampling2D the
        // two bilinear up_sampling2d_* cases; its rank-5 tensors the seven conv3d_transpose_* cases but the one after a
        // Conv3D, cropping3d_nothing and the two stack_* cases (a Stack of rank-4 tensors). Still refused: 3-D Conv and
        // pooling, UpSampling2D other than nearest and bilinear, Resizing. Session 42 added three DepthToSpace / SpaceToDepth
        // export cases, refused by the import then; session 43's DepthToSpace and SpaceToDepth import two of them (134 -> 136):
        // the third's DepthToSpace imports too, but its Dense on the (N, H, W, C) image is a MatMul of rank 4, still refused.
        // Session 45 added three position_embedding_* export cases, refused by the import (a constant Expanded).
        Assert.Equal((406, 136), (names.Count, names.Count - refused.Count));
        Assert.All(["depth_to_space_after_conv", "space_to_depth_of_input_then_conv"], n => Assert.DoesNotContain(n, refused.Keys));
        Assert.Contains("(MatMul): input A has dimensions [N, 6, 9, 2]; NeuralNet.Onnx imports MatMul of a matrix or a batch of sequences (rank 2 or 3)",
            refused["depth_to_space_of_input_then_dense"], StringComparison.Ordinal);
        Assert.DoesNotContain("up_sampling2d_nearest", refused.Keys);
        Assert.DoesNotContain("up_sampling2d_nearest_after_conv", refused.Keys);
        Assert.DoesNotContain("up_sampling2d_bilinear", refused.Keys);
        Assert.DoesNotContain("up_sampling2d_bilinear_rows_only_after_conv", refused.Keys);
        Assert.Contains("up_sampling2d_bicubic", refused.Keys);
        string[] oneD = [.. names.Where(n => n.StartsWith("conv1d_", StringComparison.Ordinal) || n.StartsWith("depthwise_conv1d_", StringComparison.Ordinal) || n.StartsWith("separable_conv1d_", StringComparison.Ordinal))];
        Assert.Equal(17, oneD.Length);
        Assert.All(oneD, n => Assert.DoesNotContain(n, refused.Keys));
        string[] transposed = [.. names.Where(n => n.Contains("_transpose", StringComparison.Ordinal))];
        Assert.Equal(22, transposed.Length);
        Assert.Equal(["conv3d_transpose_after_conv3d"], transposed.Where(refused.ContainsKey));
        Assert.Contains("node 'conv3d/Conv' (Conv): input 0 (X) has dimensions [N, 2, 4, 5, 4]; NeuralNet.Onnx imports Conv on (N, C, L) sequences (Conv1D) and (N, C, H, W) images (Conv2D)",
            refused["conv3d_transpose_after_conv3d"], StringComparison.Ordinal);
        Assert.DoesNotContain("stft_imag_expand_dims_step_is_length", refused.Keys);
        Assert.DoesNotContain("stack_after_convolution", refused.Keys);
    }
}
