"""A file provider that takes its time, so a test can kill a worker mid-batch."""

import time

from promises.messaging import FileProvider


class SlowFileProvider(FileProvider):
    def send(self, message):
        provider_id = super().send(message)
        time.sleep(0.4)
        return provider_id


class BrokenProvider(FileProvider):
    def send(self, message):
        from promises.messaging import ProviderError

        raise ProviderError("gateway said 503")
