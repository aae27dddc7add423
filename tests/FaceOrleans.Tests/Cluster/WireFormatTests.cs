using FaceOrleans.Contracts;
using FaceOrleans.Grains;
using FaceOrleans.Vision;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.TypeSystem;

namespace FaceOrleans.Tests.Cluster;

/// <summary>
/// The serializer as silos and clients configure it: Vision's types cross grain calls as themselves under stable
/// names, and grain state written before the types gained their aliases still reads back.
/// </summary>
public sealed class WireFormatTests : IDisposable
{
    // Written by the code before this change (commit 9bab803) into its SQLite store, through PUT /v1/attendance/config
    // (Time clock, 0.45, 0.8, 12 MP, photos kept), one compare, one detect of couple.jpg, one enrollment and one
    // identification (the last two embed through the tenant).
    private const string TenantRecordFromMain =
        "2020e8401554696d6520636c6f636b616666e63e61cdcc4c3f61001bb7000103e0213001312cd42e1d537472696e67436f6d706172657200030101e00107410f636f6d706172650005400d6465746563740005400b656d6265640009e0011901012180fe280b3ac94adf08810000000000000000e021200019010100010001000100050005000500050001000100010001e081bc96900fba3798408127a089b0e1ac8c40e0e0";

    // The keys grain's record from the same run: three demo keys and one issued for tenant "access" ("kept").
    private const string ApiKeysRecordFromMain =
        "2020000921e84011735f4d395a77326e4181623531386433633338326336303962386339616663313439626365666438383434303566396231383233316663616132643134336134643530316331393139624115617474656e64616e636509030521808df3c331c94adf08810000000000000000e0411164656d6f206b6579e020e84011787834497944354d418138313534626539643466633532633762663434663838626666636337336537333532653662393138653062383939323166306333363735313733653232363535410d6163636573730903052180b280ca31c94adf08810000000000000000e0c119e020e84011744d375456754570418163393062623964326531633739613764653635323338393764613233333635313462666564343937366637656166313439343735316438363737353734376436c1010903092180d1fbcb31c94adf08810000000000000000e0c119e020e8401172736447356d2d55418130653135653231356439376432363463376138396564303162646330313561613736626564666565623638626238336164616437323861343435643465613835410d616363657373090301218070577b35c94adf08810000000000000000e041096b657074e0e00111e0";

    private readonly ServiceProvider _services = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(TenantRecord).Assembly).AddAssembly(typeof(TenantSettings).Assembly))
        .BuildServiceProvider();

    [Fact]
    public void A_rejection_crosses_as_itself_with_code_field_slice_and_message()
    {
        var serializer = _services.GetRequiredService<Serializer>();
        Exception sent = new RequestRejectedException(RejectionCode.NoFace, "image2", "No face found in image2.") { Slice = "slice-a" };
        Exception reasoned = new RequestRejectedException(RejectionCode.UntrustedCalibration, "far", "Too few pairs.") { Reasons = ["few subjects", "few faces"] };

        var received = Assert.IsType<RequestRejectedException>(serializer.Deserialize<Exception>(serializer.SerializeToArray(sent)));
        var copied = Assert.IsType<RequestRejectedException>(_services.GetRequiredService<DeepCopier>().Copy(sent));

        foreach (var rejection in new[] { received, copied })
        {
            Assert.Equal(RejectionCode.NoFace, rejection.Code);
            Assert.Equal("image2", rejection.Field);
            Assert.Equal("slice-a", rejection.Slice);
            Assert.Equal("No face found in image2.", rejection.Message);
            Assert.Empty(rejection.Reasons);
        }

        var withReasons = Assert.IsType<RequestRejectedException>(serializer.Deserialize<Exception>(serializer.SerializeToArray(reasoned)));
        Assert.Equal((RejectionCode.UntrustedCalibration, "far"), (withReasons.Code, withReasons.Field));
        Assert.Equal(["few subjects", "few faces"], withReasons.Reasons);
    }

    [Fact]
    public void A_batch_answer_carries_each_images_own_failure()
    {
        var serializer = _services.GetRequiredService<Serializer>();
        var refused = new RequestRejectedException(RejectionCode.NotAnImage, "images[1]", "images[1]: not an image");
        var faces = new DetectBatchResult([new ImageFaces([], refused), new ImageFaces([], null)], "cpu-0", 1.5);
        var stored = new EnrolledFace("f1", "ann", new FaceInfo(new FaceBounds(1, 2, 3, 4), 0.9f, []));
        EnrollOutcome[] outcomes = [new(null, refused), new(null, new GalleryStoreUnavailableException("the store is down")), new(stored, null)];

        var received = serializer.Deserialize<DetectBatchResult>(serializer.SerializeToArray(faces))!;
        var receivedOutcomes = serializer.Deserialize<EnrollOutcome[]>(serializer.SerializeToArray(outcomes))!;

        var rejection = Assert.IsType<RequestRejectedException>(received.Images[0].Failure);
        Assert.Equal((RejectionCode.NotAnImage, "images[1]"), (rejection.Code, rejection.Field));
        Assert.Null(received.Images[1].Failure);
        Assert.Equal("images[1]", Assert.IsType<RequestRejectedException>(receivedOutcomes[0].Failure).Field);
        Assert.Equal("the store is down", Assert.IsType<GalleryStoreUnavailableException>(receivedOutcomes[1].Failure).Message);
        Assert.Equal(("f1", null), (receivedOutcomes[2].Enrolled?.FaceId, receivedOutcomes[2].Failure));
    }

    [Fact]
    public void Resolved_options_cross_unchanged()
    {
        var serializer = _services.GetRequiredService<Serializer>();
        var sent = new FaceOptions(0.37f, 0.82f, new ImageLimits { MaxPixels = 12_000_000, MinSide = 20, MaxWorkingSide = 1600 }, 0.52f,
            new QualityLimits(33, 70, 25, 20), DetectionMode.Thorough);

        Assert.Equal(sent, serializer.Deserialize<FaceOptions>(serializer.SerializeToArray(sent)));
    }

    [Fact]
    public void Vision_types_travel_under_stable_names_not_their_assembly_names()
    {
        var types = _services.GetRequiredService<TypeConverter>();

        Assert.Equal("faceorleans.RequestRejectedException", types.Format(typeof(RequestRejectedException)));
        Assert.Equal("faceorleans.FaceOptions", types.Format(typeof(FaceOptions)));
        Assert.Equal(typeof(RequestRejectedException), types.Parse("faceorleans.RequestRejectedException"));
        Assert.Equal("faceorleans.TenantRecord", types.Format(typeof(TenantRecord)));
    }

    [Fact]
    public void Tenant_state_stored_before_the_aliases_still_reads_back()
    {
        var record = FaceOrleansStorage.Serializer(_services).Deserialize<TenantRecord>(new BinaryData(Convert.FromHexString(TenantRecordFromMain)))!;

        Assert.Equal(new TenantSettings("Time clock", 0.45f, 0.8f, 12_000_000, StoreEnrollmentPhotos: true), record.Settings);
        Assert.Equal(1, record.RequestsByOperation["compare"]);
        Assert.Equal(1, record.RequestsByOperation["detect"]);
        Assert.Equal(2, record.RequestsByOperation["embed"]);
        Assert.Equal(2 + 2 + 1 + 1, record.FacesDetected);
        Assert.Equal(4, record.Latency.Count);
    }

    [Fact]
    public void Api_keys_stored_before_the_aliases_still_read_back()
    {
        var record = FaceOrleansStorage.Serializer(_services).Deserialize<ApiKeysRecord>(new BinaryData(Convert.FromHexString(ApiKeysRecordFromMain)))!;

        Assert.Equal(4, record.Version);
        Assert.Equal(4, record.Keys.Count);
        Assert.Equal(("access", ApiKeyRole.Tenant, "kept"), (record.Keys[3].Tenant, record.Keys[3].Role, record.Keys[3].Description));
        Assert.Equal(ApiKeyRole.Admin, record.Keys[2].Role);
        Assert.All(record.Keys, k => Assert.Equal(64, k.Sha256.Length));
    }

    public void Dispose() => _services.Dispose();
}
