"""Market clearing: retail prices from supply offered against constant-elasticity demand."""

from numba import njit


@njit(cache=True, nogil=True)
def clear_markets(
    stock, arrivals, demand_ref, price_ref, elasticity, sell_fraction, retail_by_dealers,
    dealer_capacity_r, price_floor, price_cap, retail_price, sold,
):
    """Clear every (commodity, region) market with demand; update ``stock`` in place.

    Offered quantity: ``sell_fraction`` of stock plus arrivals for dealer-retailed commodities
    (at most what the region's dealers can sell), all of it otherwise. Demand is
    ``Q = Q_ref * (P / P_ref) ** elasticity``, so the clearing price is
    ``P = P_ref * (offered / Q_ref) ** (1 / elasticity)``, bounded by the floor and cap; at a
    bound the quantity sold is what demand takes at that price. With nothing offered the price
    stays at last week's value and nothing is sold.
    """
    C, R = stock.shape
    for c in range(C):
        inv_e = 1.0 / elasticity[c]
        for r in range(R):
            sold[c, r] = 0.0
            if demand_ref[c, r] <= 0.0:
                stock[c, r] += arrivals[c, r]
                continue
            avail = stock[c, r] + arrivals[c, r]
            if retail_by_dealers[c]:
                offered = sell_fraction * avail
                if offered > dealer_capacity_r[r]:
                    offered = dealer_capacity_r[r]
            else:
                offered = avail
            if offered > 0.0:
                ratio = offered / demand_ref[c, r]
                p = ratio ** inv_e
                q = offered
                if p > price_cap:
                    p = price_cap
                    q = demand_ref[c, r] * p ** elasticity[c]
                elif p < price_floor:
                    p = price_floor
                    q = demand_ref[c, r] * p ** elasticity[c]
                if q > offered:
                    q = offered
                retail_price[c, r] = p * price_ref[c, r]
                sold[c, r] = q
            stock[c, r] = avail - sold[c, r]
