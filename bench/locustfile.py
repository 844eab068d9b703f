"""One GET, repeated by every simulated user: the path comes from BENCH_PATH."""

import os

from locust import FastHttpUser, constant, task

PATH = os.environ.get("BENCH_PATH", "/bench/agreements.json")


class Reader(FastHttpUser):
    wait_time = constant(0)

    @task
    def read(self):
        self.client.get(PATH, name=PATH)
