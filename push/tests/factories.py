import factory

from accounts.tests.factories import UserFactory
from push.models import Device


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    user = factory.SubFactory(UserFactory)
    token = factory.Sequence(lambda n: f"fcm-token-{n:04d}-{'x' * 140}")
    platform = Device.Platform.ANDROID
    app_version = "1.0.0"
    language = Device.Language.KOREAN
