"""Market clearing: retail prices from supply offered against constant-elasticity demand."""

import numpy as np
from numba import njit

from .sums import pairwise_sum, sum_leading_axis


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


@njit(cache=True, nogil=True, error_model="numpy")
def distribute_revenue(
    arrivals_ocr, arrivals_cr, dealers_or, dealers_r, retail_price, wholesale_price,
    import_price, sold, retail_by_dealers, is_firearm, guns, firearm_decay,
    income_o, revenue_oc, import_rev_oc,
):
    """Consumer spending ``retail_price * sold`` reaches organizations (ODD 7.4).

    For a commodity retailed by dealers, each organization's dealers take their share
    (``dealers_or / dealers_r``) of the spending less the wholesale price, which goes to
    this week's suppliers in proportion to their deliveries (``arrivals_ocr``; with no
    deliveries the dealers keep the whole margin); otherwise the delivering traffickers take
    the whole spending. Fills ``income_o`` (all commodities), ``revenue_oc`` (what reached
    the traffickers) and ``import_rev_oc`` (the same sales valued at the import price); adds
    firearms sold to the regions' ``guns`` and applies their decay. Sums over regions are in
    numpy's order (``sim.kernels.sums``): the numbers equal those of the numpy code this
    replaced, bit for bit.
    """
    O, C, R = arrivals_ocr.shape
    row = np.empty(R)
    row2 = np.empty(R)
    row3 = np.empty(R)
    spend = np.empty(R)
    wholesale = np.empty(R)
    for o in range(O):
        income_o[o] = 0.0
        for c in range(C):
            revenue_oc[o, c] = 0.0
            import_rev_oc[o, c] = 0.0
    for c in range(C):
        for r in range(R):
            spend[r] = retail_price[c, r] * sold[c, r]
            wholesale[r] = wholesale_price[c, r] * sold[c, r] * (
                1.0 if arrivals_cr[c, r] > 0 else 0.0)
        for o in range(O):
            for r in range(R):
                a = arrivals_cr[c, r]
                frac = arrivals_ocr[o, c, r] / a if a > 0 else 0.0
                if retail_by_dealers[c]:
                    row[r] = frac * wholesale[r]
                    share = dealers_or[o, r] / dealers_r[r] if dealers_r[r] > 0 else 0.0
                    row2[r] = share * (spend[r] - wholesale[r])
                else:
                    row[r] = frac * spend[r]
                row3[r] = frac * import_price[c, r] * sold[c, r]
            to_traffickers = pairwise_sum(row)
            if retail_by_dealers[c]:
                income_o[o] += pairwise_sum(row2) + to_traffickers
            else:
                income_o[o] += to_traffickers
            revenue_oc[o, c] = to_traffickers
            import_rev_oc[o, c] = pairwise_sum(row3)
        if is_firearm[c]:
            for r in range(R):
                guns[r] += sold[c, r]
    for r in range(R):
        guns[r] *= 1.0 - firearm_decay


@njit(cache=True, nogil=True)
def _np_maximum(a, b):
    return a if (a > b or a != a) else b


@njit(cache=True, nogil=True, error_model="numpy")
def stage_prices(
    retail_by_dealers, price_ref, dealer_annual_arrest_r, retail_value_added,
    dealer_risk_premium, wholesale_value_added, sent_ocr, landed_ocr, hurdle_rate,
    price_floor, price_memory, demand_ref, first, retail_price, chain_import, chain_retail,
    wholesale_price, import_price, expected_import, value_at_risk,
):
    """Stage prices below the border (ODD 7.4): the value added at retail (dealers' margin
    plus their risk premium on the annual arrest probability) and at wholesale, in units of
    the reference retail price, for dealer-retailed commodities; wholesale and import prices
    are what the clearing retail price leaves after them (at least ``price_floor`` of the
    stage below); the chain's supply price at the border is the volume-weighted landed cost
    times ``1 + hurdle_rate`` (kept where nothing was sent); the expected import price is a
    moving average (weight ``price_memory``; equal to the import price on the ``first``
    call) and the value at risk its demand-weighted mean. The arithmetic is that of the
    numpy code it replaced, in its order."""
    O, C, R = sent_ocr.shape
    sent = np.zeros((C, R))
    num = np.zeros((C, R))
    if C * R == 1:  # a single market: numpy sums the one contiguous run pairwise
        run = np.empty(O)
        for o in range(O):
            run[o] = sent_ocr[o, 0, 0]
        sent[0, 0] = pairwise_sum(run)
        for o in range(O):
            run[o] = sent_ocr[o, 0, 0] * landed_ocr[o, 0, 0]
        num[0, 0] = pairwise_sum(run)
    else:
        for o in range(O):
            for c in range(C):
                for r in range(R):
                    sent[c, r] += sent_ocr[o, c, r]
                    num[c, r] += sent_ocr[o, c, r] * landed_ocr[o, c, r]
    row = np.empty(R)
    for c in range(C):
        for r in range(R):
            ref = price_ref[c, r]
            if retail_by_dealers[c]:
                va_retail = (retail_value_added + dealer_risk_premium
                             * dealer_annual_arrest_r[r]) * ref
                va_wholesale = wholesale_value_added * ref
            else:
                va_retail = 0.0
                va_wholesale = 0.0
            landed = num[c, r] / sent[c, r] if sent[c, r] > 0 else np.nan
            chain = landed * (1.0 + hurdle_rate)
            if np.isfinite(chain):
                chain_import[c, r] = chain
            chain_retail[c, r] = chain_import[c, r] + va_wholesale + va_retail
            retail = retail_price[c, r]
            wholesale_price[c, r] = _np_maximum(retail - va_retail, price_floor * retail)
            wholesale = wholesale_price[c, r]
            import_price[c, r] = _np_maximum(wholesale - va_wholesale,
                                             price_floor * wholesale)
            if first:
                expected_import[c, r] = import_price[c, r]
            expected_import[c, r] = (1.0 - price_memory) * expected_import[c, r] \
                + price_memory * import_price[c, r]
        for r in range(R):
            row[r] = expected_import[c, r] * demand_ref[c, r]
        value_at_risk[c] = pairwise_sum(row) / _np_maximum(
            pairwise_sum(demand_ref[c]), 1e-12)


@njit(cache=True, nogil=True, error_model="numpy")
def markets_week(
    counts, dealer, arrivals_ocr, stock, demand_ref, price_ref, elasticity,
    elasticity_multiplier, sell_fraction, retail_by_dealers, dealer_capacity, price_floor,
    price_cap, retail_price, sold, seized_cr, h_arrest, shipped, arrivals_cr, dealers_r, goods,
    h_r,
):
    """Clear the markets (``clear_markets``) with this week's arrivals ``arrivals_cr``
    (summed over organizations) and the region's dealers ``dealers_r`` (from the kept
    counts, role ``dealer``) each selling up to ``dealer_capacity``; ``goods`` = (seized,
    sold, change in stock) by commodity for the ledger; ``h_r`` the dealers' mean weekly
    arrest hazard by region (last week's hazards, weighted by dealers; 0 without dealers).
    Sums in numpy's order. Returns the ledger's goods error (``goods_error``: what was
    ``shipped`` this week against seized, sold and stocked)."""
    O, C, R = arrivals_ocr.shape
    sum_leading_axis(arrivals_ocr.reshape(O, C * R), arrivals_cr.reshape(C * R))
    dealers_or = np.empty((O, R))
    for o in range(O):
        for r in range(R):
            dealers_or[o, r] = counts[o, r, dealer]
    for r in range(R):
        n = 0.0
        for o in range(O):  # whole numbers: exact in any order
            n += dealers_or[o, r]
        dealers_r[r] = n
    stock_before = np.empty(C)
    for c in range(C):
        stock_before[c] = pairwise_sum(stock[c])
    elasticity_c = np.empty(C)
    for c in range(C):
        elasticity_c[c] = elasticity[c] * elasticity_multiplier
    capacity_r = np.empty(R)
    for r in range(R):
        capacity_r[r] = dealers_r[r] * dealer_capacity
    clear_markets(
        stock, arrivals_cr, demand_ref, price_ref, elasticity_c, sell_fraction,
        retail_by_dealers, capacity_r, price_floor, price_cap, retail_price, sold,
    )
    for c in range(C):
        goods[0, c] = pairwise_sum(seized_cr[c])
        goods[1, c] = pairwise_sum(sold[c])
        goods[2, c] = pairwise_sum(stock[c]) - stock_before[c]
    weighted = np.empty((O, R))
    for o in range(O):
        for r in range(R):
            weighted[o, r] = h_arrest[o, r, dealer] * dealers_or[o, r]
    sum_leading_axis(weighted, h_r)
    for r in range(R):
        h_r[r] = h_r[r] / dealers_r[r] if dealers_r[r] > 0 else 0.0
    return goods_error(shipped, goods)


@njit(cache=True, nogil=True, error_model="numpy")
def goods_error(shipped, goods):
    """The goods identity's largest relative error over commodities, NaN if any is NaN:
    numpy's ``(np.abs(shipped - seized - sold - stock_change)
    / np.maximum(np.abs(shipped), 1.0)).max()`` with ``goods`` = (seized, sold, change in
    stock) (``Ledger.goods_error``, which the conservation check reads)."""
    top = 0.0
    for c in range(shipped.shape[0]):
        err = abs(shipped[c] - goods[0, c] - goods[1, c] - goods[2, c])
        a = abs(shipped[c])
        scale = a if (a > 1.0 or a != a) else 1.0  # np.maximum: NaN wins
        x = err / scale
        if c == 0 or x > top or x != x:
            top = x
            if x != x:
                break
    return top


@njit(cache=True, nogil=True, error_model="numpy")
def pay_sellers(
    counts, dealer, arrivals_ocr, arrivals_cr, dealers_r, retail_price, wholesale_price,
    import_price, sold, retail_by_dealers, is_firearm, guns, firearm_decay, income_o,
    revenue_oc, import_rev_oc,
):
    """``distribute_revenue`` with the dealers by organization and region from the kept
    counts. Returns consumer spending, ``(retail_price * sold).sum()`` in numpy's order."""
    O, R, _ = counts.shape
    dealers_or = np.empty((O, R), counts.dtype)
    for o in range(O):
        for r in range(R):
            dealers_or[o, r] = counts[o, r, dealer]
    distribute_revenue(
        arrivals_ocr, arrivals_cr, dealers_or, dealers_r, retail_price, wholesale_price,
        import_price, sold, retail_by_dealers, is_firearm, guns, firearm_decay, income_o,
        revenue_oc, import_rev_oc,
    )
    C = sold.shape[0]
    spend = np.empty(C * R)
    for c in range(C):
        for r in range(R):
            spend[c * R + r] = retail_price[c, r] * sold[c, r]
    return pairwise_sum(spend)


@njit(cache=True, nogil=True, error_model="numpy")
def prices_and_sales(
    retail_by_dealers, price_ref, dealer_annual_arrest_r, retail_value_added,
    dealer_risk_premium, wholesale_value_added, sent_ocr, landed_ocr, hurdle_rate,
    price_floor, price_memory, demand_ref, first, retail_price, chain_import, chain_retail,
    wholesale_price, import_price, expected_import, value_at_risk,
    counts, dealer, arrivals_ocr, arrivals_cr, dealers_r, sold, is_firearm, guns,
    firearm_decay, income_o, revenue_oc, import_rev_oc,
):
    """The markets' week after clearing, in one call: ``stage_prices`` and then
    ``pay_sellers`` at those prices. Returns consumer spending (``pay_sellers``)."""
    stage_prices(
        retail_by_dealers, price_ref, dealer_annual_arrest_r, retail_value_added,
        dealer_risk_premium, wholesale_value_added, sent_ocr, landed_ocr, hurdle_rate,
        price_floor, price_memory, demand_ref, first, retail_price, chain_import,
        chain_retail, wholesale_price, import_price, expected_import, value_at_risk,
    )
    return pay_sellers(
        counts, dealer, arrivals_ocr, arrivals_cr, dealers_r, retail_price, wholesale_price,
        import_price, sold, retail_by_dealers, is_firearm, guns, firearm_decay, income_o,
        revenue_oc, import_rev_oc,
    )
