using NeuralNet.Kernels;
using NeuralNet.Losses;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Losses;

/// <summary>CTC greedy and beam-search decoding against TensorFlow's and Keras' test values and the exact CTC probabilities.</summary>
public class CtcDecodingTests
{
    [Fact]
    public void Greedy_TensorFlowBestPathTest()
    {
        // TensorFlow's ctc_decoder_ops_test (Keras 2's test_ctc_decode_greedy): blank last (3), lengths 4 and 5.
        float[] p0 = [1.0f, 0, 0, 0, 0, 0, 0.4f, 0.6f, 0, 0, 0.4f, 0.6f, 0, 0.9f, 0.1f, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        float[] p1 = [0.1f, 0.9f, 0, 0, 0, 0.9f, 0.1f, 0, 0, 0, 0.1f, 0.9f, 0, 0.9f, 0.1f, 0.1f, 0.9f, 0.1f, 0, 0, 0, 0, 0, 0];
        Tensor logProbs = Tensor.FromArray([.. p0.Concat(p1).Select(p => MathF.Log(p))], 2, 6, 4);

        CtcDecodeResult result = CtcDecoding.Greedy(logProbs, [4, 5], maskIndex: 3);

        Assert.Equal([1, 2, 6], result.Decoded.Shape.Dimensions.ToArray());
        Assert.Equal([0f, 1, -1, -1, -1, -1, 1, 1, 0, -1, -1, -1], result.Decoded.ToArray());
        Assert.Equal(-Math.Log(1.0) - Math.Log(0.6) - Math.Log(0.6) - Math.Log(0.9), result.Scores[0, 0], 1e-5);
        Assert.Equal(-5 * Math.Log(0.9), result.Scores[1, 0], 1e-5);
        Assert.Equal([1, 1, 0], result.Sequence(1));
    }

    // keras/src/ops/nn_test.py (NNOpsCorrectnessTest.test_ctc_decode and test_ctc_loss): logits (3, 3, 4), lengths 3, 3, 1.
    private static Tensor KerasInputs => Tensor.FromArray(
    [
        0.1f, 0.4f, 0.2f, 0.4f, 0.3f, -0.3f, 0.4f, 0.2f, 0.3f, 0.2f, 0.4f, 0.3f,
        0.7f, 0.4f, 0.3f, 0.2f, 0.3f, 0.3f, 0.4f, 0.1f, 0.6f, -0.1f, 0.1f, 0.5f,
        0.1f, 0.4f, 0.2f, 0.7f, 0.3f, 0.3f, -0.2f, 0.7f, 0.3f, 0.2f, 0.4f, 0.1f,
    ], 3, 3, 4);

    [Fact]
    public void Keras3NnTestValues_GreedyBeamSearchAndLoss()
    {
        CtcDecodeResult greedy = CtcDecoding.Greedy(KerasInputs, [3, 3, 1]);
        Assert.Equal([1f, 2, -1, 2, -1, -1, 3, -1, -1], greedy.Decoded.ToArray());
        Assert.Equal([-1.2f, -1.7f, -0.7f], greedy.Scores.ToArray().Select(v => MathF.Round(v, 5)));
        Assert.Equal([1, 2, 2], CtcDecoding.Greedy(KerasInputs, [3, 3, 1], mergeRepeated: false).Sequence(0));

        CtcDecodeResult beam = CtcDecoding.BeamSearch(KerasInputs, [3, 3, 1], beamWidth: 4, topPaths: 2);
        Assert.Equal([1f, 2, -1, 2, -1, -1, 3, -1, -1, 2, -1, -1, 3, -1, -1, 1, -1, -1], beam.Decoded.ToArray());
        float[] expected = [-2.426537f, -2.435596f, -2.127681f, -2.182338f, -1.063386f, -1.363386f];
        float[] scores = beam.Scores.ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], scores[i], 1e-5);
        }

        float[] loss = new float[1];
        new Ctc(LossReduction.None).ComputePerSample(Tensor.FromArray([0.4f, 0.8f, 0.4f, 0.2f, 0.8f, 0.3f, 0.9f, 0.4f, 0.5f], 1, 3, 3), Tensor.FromArray([1f, 2, 1], 1, 3), loss);
        Assert.Equal(3.4411672, loss[0], 1e-5);
    }

    [Fact]
    public void Greedy_MergeRepeatedOff_KeepsEveryStep()
    {
        // Classes at the steps: 1 1 0 1 2 2 with blank 0.
        float[] logits = new float[6 * 3];
        int[] best = [1, 1, 0, 1, 2, 2];
        for (int t = 0; t < 6; t++)
        {
            logits[(t * 3) + best[t]] = 1;
        }

        Tensor x = Tensor.FromArray(logits, 1, 6, 3);
        Assert.Equal([1, 1, 2], CtcDecoding.Greedy(x).Sequence(0));
        Assert.Equal([1, 1, 1, 2, 2], CtcDecoding.Greedy(x, mergeRepeated: false).Sequence(0));
        Assert.Equal(-6, CtcDecoding.Greedy(x).Scores[0, 0]);
    }

    [Fact]
    public void BeamSearch_TensorFlowHibernatingBeamTest()
    {
        // TensorFlow's "one batch, two beams - hibernating beam search" (Keras 2's test_ctc_decode_beam_search): blank last
        // (5), 5 of 7 steps read, beam width 2, two paths: [1, 0] then [0, 1, 0].
        float[] probabilities =
        [
            0.30999f, 0.309938f, 0.0679938f, 0.0673362f, 0.0708352f, 0.173908f,
            0.215136f, 0.439699f, 0.0370931f, 0.0393967f, 0.0381581f, 0.230517f,
            0.199959f, 0.489485f, 0.0233221f, 0.0251417f, 0.0233289f, 0.238763f,
            0.279611f, 0.452966f, 0.0204795f, 0.0209126f, 0.0194803f, 0.20655f,
            0.51286f, 0.288951f, 0.0243026f, 0.0220788f, 0.0219297f, 0.129878f,
            0.155251f, 0.164444f, 0.173517f, 0.176138f, 0.169979f, 0.160671f,
            0, 0, 0, 0, 0, 0,
        ];
        Tensor logits = Tensor.FromArray([.. probabilities.Select(p => MathF.Log(p + 1e-7f))], 1, 7, 6);

        CtcDecodeResult result = CtcDecoding.BeamSearch(logits, [5], beamWidth: 2, topPaths: 2, maskIndex: 5);

        Assert.Equal([2, 1, 7], result.Decoded.Shape.Dimensions.ToArray());
        Assert.Equal([1, 0], result.Sequence(0, 0));
        Assert.Equal([0, 1, 0], result.Sequence(0, 1));
        Assert.True(result.Scores[0, 0] >= result.Scores[0, 1]);

        // With a beam that keeps every prefix the scores are the labels' exact log-probabilities, the negated CTC loss.
        CtcDecodeResult wide = CtcDecoding.BeamSearch(logits, [5], beamWidth: 10000, topPaths: 3, maskIndex: 5);
        float[] read = [.. logits.ToArray().Take(30)];
        for (int path = 0; path < 3; path++)
        {
            int[] labels = wide.Sequence(0, path);
            Assert.Equal(-CtcLattice.ReferenceLoss(read, 6, labels, blank: 5), wide.Scores[0, path], 1e-5);
        }
    }

    [Fact]
    public void BeamSearch_WideBeam_FindsTheMostProbableLabelsAndTheirLogProbabilities()
    {
        // 4 steps of 3 classes: every label sequence of up to 4 symbols can be enumerated, so the best is known.
        Tensor logits = TestData.Normal(3, 1.5f, 2, 4, 3);
        CtcDecodeResult result = CtcDecoding.BeamSearch(logits, beamWidth: 1000, topPaths: 4);
        for (int b = 0; b < 2; b++)
        {
            float[] sample = logits.Slice(b, 1).ToArray();
            var all = new List<(int[] Labels, double LogP)>();
            foreach (int[] labels in AllLabels(maxLength: 4, classes: 3))
            {
                double loss = CtcLattice.ReferenceLoss(sample, 3, labels, 0);
                if (double.IsFinite(loss))
                {
                    all.Add((labels, -loss));
                }
            }

            Assert.Equal(1, all.Sum(a => Math.Exp(a.LogP)), 1e-9); // the labelings partition the paths
            var ranked = all.OrderByDescending(a => a.LogP).Take(4).ToList();
            for (int path = 0; path < 4; path++)
            {
                Assert.Equal(ranked[path].Labels, result.Sequence(b, path));
                Assert.Equal(ranked[path].LogP, result.Scores[b, path], 1e-5);
            }
        }
    }

    [Fact]
    public void BeamSearch_MorePathsThanPrefixes_PadsWithMinusOneAndNegativeInfinity()
    {
        // One step of two classes has two labelings: [] and [1].
        Tensor logits = Tensor.FromArray([0.2f, 0.1f], 1, 1, 2);
        CtcDecodeResult result = CtcDecoding.BeamSearch(logits, beamWidth: 4, topPaths: 3);
        Assert.Equal([], result.Sequence(0, 0));
        Assert.Equal([1], result.Sequence(0, 1));
        Assert.Equal([-1f], result.Decoded.Slice(2, 1).ToArray());
        Assert.Equal(float.NegativeInfinity, result.Scores[0, 2]);
    }

    [Fact]
    public void BadArguments_AreNamed()
    {
        Tensor x = Tensor.Zeros(2, 3, 4);
        Assert.Contains("maskIndex 4 is not a class", Assert.Throws<ArgumentException>(() => CtcDecoding.Greedy(x, maskIndex: 4)).Message);
        Assert.Contains("1 sequence lengths for a batch of 2", Assert.Throws<ArgumentException>(() => CtcDecoding.Greedy(x, [3])).Message);
        Assert.Contains("sequence length 4 of sample 1 is outside [0, 3]", Assert.Throws<ArgumentException>(() => CtcDecoding.BeamSearch(x, [3, 4])).Message);
        Assert.Contains("expects predictions (batch, steps, classes)", Assert.Throws<ArgumentException>(() => CtcDecoding.Greedy(Tensor.Zeros(2, 3))).Message);
        Assert.Equal("topPaths", Assert.Throws<ArgumentOutOfRangeException>(() => CtcDecoding.BeamSearch(x, beamWidth: 2, topPaths: 3)).ParamName);
        Assert.Equal("beamWidth", Assert.Throws<ArgumentOutOfRangeException>(() => CtcDecoding.BeamSearch(x, beamWidth: 0)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => CtcDecoding.Greedy(x).Sequence(2));
    }

    private static IEnumerable<int[]> AllLabels(int maxLength, int classes)
    {
        yield return [];
        var frontier = new List<int[]> { Array.Empty<int>() };
        for (int length = 1; length <= maxLength; length++)
        {
            var next = new List<int[]>();
            foreach (int[] prefix in frontier)
            {
                for (int c = 1; c < classes; c++)
                {
                    int[] labels = [.. prefix, c];
                    next.Add(labels);
                    yield return labels;
                }
            }

            frontier = next;
        }
    }
}
