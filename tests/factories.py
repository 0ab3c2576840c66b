import factory
from django.utils import timezone

from feedback.models import Response, category_for_score
from surveys.models import Account, Contact, Invitation, Level, Region, Role, User, Wave
from surveys.tokens import token_fields_new

PASSWORD = "pulse-test-pass-1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@pulse.test")
    full_name = factory.Faker("name")
    role = Role.ACCOUNT_MANAGER

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"Region {n}")
    manager = factory.SubFactory(UserFactory, role=Role.REGIONAL_MANAGER)


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    external_id = factory.Sequence(lambda n: f"ACC-{n:05d}")
    name = factory.Faker("company")
    region = factory.SubFactory(RegionFactory)
    owner = factory.SubFactory(UserFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    email = factory.Sequence(lambda n: f"contact{n}@customer.test")
    name = factory.Faker("name")
    phone = "+45 12 34 56 78"
    level = Level.MANAGER
    language = "en"


class WaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wave
        django_get_or_create = ["month"]

    month = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    status = Wave.Status.SENT


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    wave = factory.SubFactory(WaveFactory)
    contact = factory.SubFactory(ContactFactory)
    account = factory.LazyAttribute(lambda o: o.contact.account)
    status = Invitation.Status.SENT
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=30))
    token_nonce = ""
    token_hash = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if not kwargs.get("token_hash"):
            kwargs.update(token_fields_new())
        return super()._create(model_class, *args, **kwargs)


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    invitation = factory.SubFactory(InvitationFactory)
    contact = factory.LazyAttribute(lambda o: o.invitation.contact)
    account = factory.LazyAttribute(lambda o: o.invitation.account)
    owner = factory.LazyAttribute(lambda o: o.account.owner)
    score = 8
    category = factory.LazyAttribute(lambda o: category_for_score(o.score))
    reason = ""
