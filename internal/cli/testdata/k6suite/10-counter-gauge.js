// k6/metrics: a Counter (with tags) and a Gauge, their own tables at the
// end, and thresholds on them (a Counter's count, a Gauge's value, and a
// Counter's sub-metric by a tag given to add()).
// expect: exit 0
// expect: metric orders 12
// expect: metric orders{kind:gift} 4
// expect: metric cart_size 3 1 3
// expect: threshold PASS orders count==12 12
// expect: threshold PASS orders{kind:gift} count===4 4
// expect: threshold PASS cart_size value<4 3
// expect: threshold PASS cart_size value>=1 3
// expect: served /json 4
import http from "k6/http";
import { Counter, Gauge } from "k6/metrics";

const orders = new Counter("orders");
const cartSize = new Gauge("cart_size");

export const options = {
  vus: 1,
  iterations: 4,
  thresholds: {
    orders: ["count==12"],
    "orders{kind:gift}": ["count===4"],
    cart_size: ["value<4", "value>=1"],
  },
};

export default function () {
  const res = http.get(`${__ENV.BASE_URL}/json`);
  const items = res.json().items;
  orders.add(items.length, { kind: "plain" });
  orders.add(1, { kind: "gift" });
  cartSize.add(Math.min(__ITER + 1, 3));
}
