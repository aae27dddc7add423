using FaceOrleans.Api.Problems;
using FaceOrleans.Contracts;
using FaceOrleans.Grains;
using FaceOrleans.Vision;
using FaceOrleans.Vision.Evaluation;

namespace FaceOrleans.Tests.Vision;

/// <summary>
/// The offline evaluators (degraded capture conditions, the condition evaluator, the crowd mosaic) live in
/// FaceOrleans.Vision.Evaluation, which the Silo's commands and the tests use and the serving assemblies never load.
/// </summary>
public sealed class EvaluationIsOffTheServingPathTests
{
    private const string Evaluation = "FaceOrleans.Vision.Evaluation";

    [Fact]
    public void The_evaluators_are_in_their_own_assembly_and_no_serving_assembly_references_it()
    {
        Assert.Equal(Evaluation, typeof(ConditionEvaluator).Assembly.GetName().Name);
        Assert.Equal(Evaluation, typeof(PhotoDegrader).Assembly.GetName().Name);
        Assert.Equal(Evaluation, typeof(CrowdMosaic).Assembly.GetName().Name);

        foreach (var serving in new[] { typeof(FacePipeline).Assembly, typeof(TenantGrain).Assembly, typeof(RejectionProblems).Assembly })
        {
            var referenced = serving.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
            Assert.Contains(referenced, name => name.StartsWith("FaceOrleans", StringComparison.Ordinal) || name == "OpenCvSharp");
            Assert.DoesNotContain(Evaluation, referenced);
        }
    }
}
