# Locustfile used to capture Locust 2.12's CSV output for jsload's tests.
from locust import HttpUser, task, constant

class U(HttpUser):
    wait_time = constant(0.2)

    @task(3)
    def index(self):
        self.client.get("/")

    @task
    def missing(self):
        self.client.get("/missing?x=1", name="/missing")

    @task
    def custom(self):
        with self.client.get("/", catch_response=True) as r:
            r.failure("bad, \"quoted\" value")

    @task
    def boom(self):
        raise ValueError("boom, with comma")
